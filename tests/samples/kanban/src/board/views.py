from django.shortcuts import render

from .models import Card


def board(request):
    columns = {value: [] for value, _ in Card.Column.choices}
    for card in Card.objects.all():
        columns[card.column].append(card)
    return render(request, "board/board.html", {"columns": columns})
