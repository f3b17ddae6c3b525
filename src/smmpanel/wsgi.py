import os

from django.core.wsgi import get_wsgi_application

from smmpanel.data_dir import prepare_data_dir

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
prepare_data_dir()  # a server serving the panel writes there, as `runserver` does
application = get_wsgi_application()
