# The workspace storage's records move here from webservices (issue 18): the studio owns the one storage layout,
# so Import Data and Export Data (experiments) can record and read files without importing webservices. The rows
# are copied by webservices' migration 0017, which then drops its table.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('studio', '0004_workspace_tokens'),
    ]

    operations = [
        migrations.CreateModel(
            name='StorageFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('location', models.CharField(help_text='container/path, as in a RelativeLocation', max_length=1000)),
                ('service_id', models.BigIntegerField(blank=True, db_index=True, help_text="The owning web service; empty: the studio's (its members reach every file).", null=True)),
                ('size', models.PositiveBigIntegerField(default=0)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('modified', models.DateTimeField(blank=True, help_text="The storage's modified time when recorded: another time means the file was written outside the storage module.", null=True)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('updated', models.DateTimeField(auto_now=True)),
                ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='storage_files', to='studio.workspace')),
            ],
            options={
                'ordering': ['workspace', 'location'],
                'constraints': [models.UniqueConstraint(fields=('workspace', 'location'), name='one_storage_record_per_file')],
            },
        ),
    ]
