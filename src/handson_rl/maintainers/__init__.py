"""Commands only the course's maintainers run; learners never import these.

python -m handson_rl.maintainers.build [--check]   # notebooks, images, videos
python -m handson_rl.maintainers.make_pretrained        # re-make pretrained/arena_ppo/
python -m handson_rl.maintainers.videos [--check]  # only the GIFs in videos/
python -m handson_rl.maintainers.prose_numbers --write | --check  # docs/claims.md
"""
