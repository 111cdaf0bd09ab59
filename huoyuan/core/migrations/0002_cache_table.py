"""Create the database cache table with the schema, so `migrate` alone gives a working site.

The embedded default keeps cache, rate limits and the page cache in the database; Django only
creates that table with a separate `createcachetable` command, which is easy to forget.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
