"""The REST face of chathistory: the only package that imports Django REST Framework."""
