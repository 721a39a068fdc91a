"""Corpora: readers for the user's files, stdin and Hugging Face datasets; caching; batching per task."""
