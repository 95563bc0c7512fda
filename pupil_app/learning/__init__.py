"""The pupil's learning journey: modules, lesson screens, quizzes and results."""
