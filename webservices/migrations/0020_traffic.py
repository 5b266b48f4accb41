# Traffic split and shadow endpoints (issue 20, item 3)

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('webservices', '0019_lineage'),
    ]

    operations = [
        migrations.AddField(
            model_name='webservice',
            name='traffic',
            field=models.JSONField(blank=True, default=dict, help_text='{"split": {endpoint name: whole percent}, "shadow": [endpoint names]}: how the default endpoint\'s calls are shared between the service\'s endpoints, and which get copies (webservices/traffic.py); empty: all to the default endpoint.'),
        ),
        migrations.CreateModel(
            name='ShadowComparison',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('calls', models.PositiveBigIntegerField(default=0, help_text='Copies scored and compared.')),
                ('identical', models.PositiveBigIntegerField(default=0, help_text="Of them, answers identical to the caller's.")),
                ('failed', models.PositiveBigIntegerField(default=0, help_text='Copies the shadow answered with an error.')),
                ('skipped', models.PositiveBigIntegerField(default=0, help_text='Copies dropped: shadow work was behind.')),
                ('numbers', models.PositiveBigIntegerField(default=0, help_text='Numeric output values compared.')),
                ('abs_diff', models.FloatField(default=0.0, help_text='Sum of |shadow - primary| over those values.')),
                ('since', models.DateTimeField(auto_now_add=True)),
                ('updated', models.DateTimeField(auto_now=True)),
                ('endpoint', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='shadow_comparison', to='webservices.endpoint')),
            ],
        ),
    ]
