"""A real OpenID Connect provider on loopback for the single sign-on tests.

It speaks the authorization-code flow over HTTP like Google and Microsoft Entra ID: discovery
documents, an authorize endpoint (the user has already said yes), a token endpoint that checks the
client secret, the redirect URI and the PKCE verifier (Authlib's server-side helper), and a key
set; ID tokens are RS256-signed with Authlib's JOSE library (joserfc). Google-like issuer:
``http://127.0.0.1:PORT``; Entra-like: ``http://127.0.0.1:PORT/<tenant>/v2.0``. A test can change
the next token's claims (another tenant, audience, an expired token) or sign it with another key.
"""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server


class Provider:
    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.rogue_key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.clients: dict[str, str] = {}  # client_id -> secret
        self.user: dict = {}  # the claims of the person signing in at the provider
        self.tamper: dict = {}  # claims to change in the next ID token
        self.sign_with_rogue_key = False
        self.codes: dict[str, dict] = {}
        self.token_requests = 0
        self.app = self._build()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()

    def issuer(self, tenant: str | None) -> str:
        return f"{self.base}/{tenant}/v2.0" if tenant else self.base

    def _metadata(self, tenant: str | None) -> dict:
        issuer = self.issuer(tenant)
        return {"issuer": issuer, "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/keys", "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]}

    def _build(self) -> Flask:
        app = Flask("test_oidc_provider")
        prefixes = ["", "/<tenant>/v2.0"]
        for prefix in prefixes:
            app.add_url_rule(f"{prefix}/.well-known/openid-configuration", f"meta{prefix}",
                             lambda tenant=None: jsonify(self._metadata(tenant)))
            app.add_url_rule(f"{prefix}/keys", f"keys{prefix}",
                             lambda tenant=None: jsonify(KeySet([self.key]).as_dict(private=False)))
            app.add_url_rule(f"{prefix}/authorize", f"authorize{prefix}", self._authorize)
            app.add_url_rule(f"{prefix}/token", f"token{prefix}", self._token, methods=["POST"])
        return app

    def _authorize(self, tenant: str | None = None):
        args = request.args
        if args.get("response_type") != "code" or args.get("client_id") not in self.clients:
            abort(400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            abort(400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"tenant": tenant, "client_id": args["client_id"], "redirect_uri": args["redirect_uri"],
                            "nonce": args.get("nonce"), "challenge": args["code_challenge"]}
        query = urllib.parse.urlencode({"code": code, "state": args.get("state", "")})
        return redirect(f"{args['redirect_uri']}?{query}")

    def _token(self, tenant: str | None = None):
        self.token_requests += 1
        form = request.form
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or form.get("grant_type") != "authorization_code":
            return jsonify(error="invalid_grant"), 400
        client_id = form.get("client_id")
        if client_id != grant["client_id"] or not secrets.compare_digest(self.clients.get(client_id, ""),
                                                                         form.get("client_secret", "")):
            return jsonify(error="invalid_client"), 401
        if form.get("redirect_uri") != grant["redirect_uri"] or \
                create_s256_code_challenge(form.get("code_verifier", "")) != grant["challenge"]:
            return jsonify(error="invalid_grant"), 400
        now = int(time.time())
        claims = {"iss": self.issuer(grant["tenant"]), "aud": client_id, "iat": now, "exp": now + 3600,
                  "nonce": grant["nonce"], **self.user}
        if grant["tenant"]:
            claims["tid"] = grant["tenant"]
        claims.update(self.tamper)
        key = self.rogue_key if self.sign_with_rogue_key else self.key
        token = jwt.encode({"alg": "RS256", "kid": "key-1"}, claims, key)
        return jsonify(access_token=secrets.token_urlsafe(16), token_type="Bearer", expires_in=3600, id_token=token)
