#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the developer's tool: it defaults to local development (DEBUG on), as
    # cookiecutter-django's manage.py defaults to its local settings. The server entry
    # points (config/wsgi.py, config/asgi.py) do not: served without DEBUG=true, the app
    # refuses to start unless SECRET_KEY and ALLOWED_HOSTS are set. Deployments run their
    # commands with DEBUG=false set explicitly (docker-compose.yml, docs/operations.md).
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
