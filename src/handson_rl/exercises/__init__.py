"""One checker module per exercise (``exercise1`` ... ``exercise4``), and
what they share (``common``: :class:`~handson_rl.exercises.common.ExerciseError`)."""
