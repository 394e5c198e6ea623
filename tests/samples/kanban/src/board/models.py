from django.db import models


class Card(models.Model):
    class Column(models.TextChoices):
        TODO = "todo", "To do"
        DOING = "doing", "Doing"
        DONE = "done", "Done"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, blank=True)
    column = models.CharField(max_length=8, choices=Column.choices, default=Column.TODO)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["column", "position"]

    def __str__(self):
        return self.title
