"""One checker module per exercise (``exercise1``, ``exercise2``, ``exercise3``), and
what they share (``common``: :class:`~handson_rl.exercises.common.ExerciseError`)."""
