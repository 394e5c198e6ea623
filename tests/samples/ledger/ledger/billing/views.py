from django.db.models import Sum
from django.http import HttpResponse

from .models import Invoice, Tick


def summary(request):
    outstanding = Invoice.objects.aggregate(total=Sum("amount_cents"))["total"] or 0
    last = Tick.objects.first()
    lines = [
        f"invoices: {Invoice.objects.count()}",
        f"outstanding: {outstanding / 100:.2f}",
        f"last tick: {last.at.isoformat() if last else 'never'}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
