"""Every device: pre-made read-aloud audio, the service worker that keeps lessons going when the
Wi-Fi drops, and the calm page it shows for anything it cannot show offline."""
