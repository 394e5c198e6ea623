from django.test import SimpleTestCase, TestCase

from .models import Tick
from .tasks import record_tick, total


class TotalTests(SimpleTestCase):
    def test_adds(self):
        self.assertEqual(total.delay(19, 23).get(), 42)


class TickTests(TestCase):
    def test_writes_a_row(self):
        record_tick.delay()
        self.assertEqual(Tick.objects.count(), 1)


class HealthTests(TestCase):
    def test_database_answers(self):
        from ledger.health import database_ok

        self.assertTrue(database_ok())
