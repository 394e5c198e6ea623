from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Card",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200)),
                ("slug", models.SlugField(blank=True, max_length=200)),
                ("column", models.CharField(choices=[("todo", "To do"), ("doing", "Doing"), ("done", "Done")],
                                            default="todo", max_length=8)),
                ("position", models.PositiveIntegerField(default=0)),
            ],
            options={"ordering": ["column", "position"]},
        ),
    ]
