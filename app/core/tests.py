"""Tests of the reference site: `python manage.py test` (sqlite, no broker needed)."""
import socket
import threading
from contextlib import contextmanager

from celery.exceptions import WorkerShutdown
from config import env
from config.beat import BeatWatchdog
from config.celery import app as celery_app
from django.conf import settings
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from . import health
from .models import Heartbeat
from .tasks import add, record_heartbeat

CLOSED_BROKER = "redis://127.0.0.1:1/0"
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@contextmanager
def silent_server():
    """A TCP port that accepts connections and never answers (a hung broker)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept_forever():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


class HealthViewTests(TestCase):
    @override_settings(CELERY_BROKER_URL=None)
    def test_ok_without_broker(self):
        response = self.client.get(reverse("health"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {"status": "ok", "checks": {"database": "ok", "broker": "not configured"}},
        )
        self.assertIn("no-cache", response["Cache-Control"])

    @override_settings(CELERY_BROKER_URL=CLOSED_BROKER)
    def test_closed_broker_port_gives_503_naming_the_broker(self):
        response = self.client.get(reverse("health"))
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body["status"], "fail")
        self.assertEqual(body["checks"]["database"], "ok")
        self.assertTrue(body["checks"]["broker"].startswith("fail: "), body)

    def test_hung_broker_times_out_with_503(self):
        with silent_server() as port:
            with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0", HEALTH_BROKER_TIMEOUT=0.5):
                response = self.client.get(reverse("health"))
        self.assertEqual(response.status_code, 503)
        self.assertIn("fail: ", response.json()["checks"]["broker"])

    @override_settings(CELERY_BROKER_URL="redis://:hunter2-broker-pw@127.0.0.1:1/0")
    def test_response_contains_no_secret(self):
        response = self.client.get(reverse("health"))
        self.assertEqual(response.status_code, 503)
        text = response.content.decode()
        self.assertNotIn("hunter2-broker-pw", text)
        self.assertNotIn(settings.SECRET_KEY, text)

    def test_head_is_allowed_and_post_is_not(self):
        self.assertEqual(self.client.head(reverse("health")).status_code, 200)
        self.assertEqual(self.client.post(reverse("health")).status_code, 405)


class HealthCheckTests(SimpleTestCase):
    def test_unreachable_postgres_fails_without_leaking_password(self):
        # Normalise the settings the way Django does, then open a real psycopg connection
        # under an alias of its own (nothing listens on port 1).
        settings_dict = ConnectionHandler(
            {"default": env.database_config("postgres://refsite:pg-s3cret-pw@127.0.0.1:1/refsite")}
        ).settings["default"]
        unreachable = PostgresWrapper(settings_dict, alias="unreachable")
        result = health.check_database(unreachable)
        self.assertTrue(result.startswith("fail: OperationalError"), result)
        self.assertNotIn("pg-s3cret-pw", result)

    def test_short_reason_masks_secrets_and_caps_length(self):
        reason = health.short_reason(RuntimeError("token abc123 " + "x" * 500 + "\nsecond line"), ("abc123",))
        self.assertTrue(reason.startswith("fail: RuntimeError: token *** x"))
        self.assertNotIn("abc123", reason)
        self.assertLessEqual(len(reason), len("fail: ") + health.MAX_REASON)

    def test_url_secrets_decodes_percent_encoding(self):
        self.assertEqual(health.url_secrets("redis://:p%40ss@h:6379/0"), ("p%40ss", "p@ss"))
        self.assertEqual(health.url_secrets("redis://h:6379/0"), ())


class TaskTests(TestCase):
    def test_record_heartbeat_writes_a_row(self):
        result = record_heartbeat.apply()
        self.assertTrue(result.successful(), result.traceback)
        beat = Heartbeat.objects.get()
        self.assertEqual(beat.id, result.get())
        self.assertEqual(beat.hostname, socket.gethostname())
        self.assertEqual(beat.task_id, result.id)

    def test_record_heartbeat_keeps_only_the_newest_rows(self):
        for _ in range(5):
            record_heartbeat.apply(kwargs={"keep": 3})
        kept = list(Heartbeat.objects.values_list("id", flat=True))
        self.assertEqual(len(kept), 3)
        self.assertEqual(kept, sorted(kept, reverse=True))
        self.assertEqual(min(kept), max(kept) - 2)

    def test_add(self):
        self.assertEqual(add.apply(args=(2, 3)).get(), 5)

    def test_beat_runs_the_heartbeat_every_ten_seconds_from_the_database(self):
        self.assertEqual(celery_app.main, "refsite")
        self.assertEqual(celery_app.conf.beat_scheduler, "django_celery_beat.schedulers:DatabaseScheduler")
        entry = celery_app.conf.beat_schedule["record-heartbeat"]
        self.assertEqual((entry["task"], entry["schedule"]), ("core.tasks.record_heartbeat", 10.0))
        self.assertIn("core.tasks.record_heartbeat", celery_app.tasks)
        self.assertTrue(celery_app.conf.broker_connection_retry_on_startup)
        self.assertEqual(celery_app.conf.timezone, "UTC")


@override_settings(STORAGES=PLAIN_STATIC)
class PageTests(TestCase):
    def test_home_loads_built_assets_and_lists_heartbeats(self):
        Heartbeat.objects.create(hostname="worker-1", task_id="abc-123")
        response = self.client.get(reverse("home"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "/static/dist/app.js")
        self.assertContains(response, "/static/dist/app.css")
        self.assertContains(response, "worker-1")
        self.assertContains(response, 'hx-get="/heartbeats/"')

    def test_heartbeat_fragment(self):
        empty = self.client.get(reverse("heartbeats"))
        self.assertContains(empty, "No heartbeat yet")
        Heartbeat.objects.create(hostname="worker-2", task_id="")
        response = self.client.get(reverse("heartbeats"))
        self.assertContains(response, "worker-2")
        self.assertContains(response, "(called directly)")
        self.assertNotContains(response, "<html")


class BeatWatchdogTests(SimpleTestCase):
    """The worker stops when its embedded beat process/thread is gone, and only then."""

    class Worker:
        def __init__(self, beat):
            self.beat = beat

    def test_registered_as_worker_bootstep(self):
        self.assertIn(BeatWatchdog, celery_app.steps["worker"])

    def test_dead_beat_shuts_the_worker_down_with_exit_code_1(self):
        finished = threading.Thread(target=lambda: None)
        finished.start()
        finished.join()
        with self.assertRaises(WorkerShutdown) as caught, self.assertLogs("refsite.beat", "CRITICAL"):
            BeatWatchdog(self.Worker(finished)).check(self.Worker(finished))
        self.assertEqual(caught.exception.code, 1)

    def test_live_beat_or_no_beat_is_left_alone(self):
        release = threading.Event()
        running = threading.Thread(target=release.wait)
        running.start()
        try:
            self.assertIsNone(BeatWatchdog(self.Worker(running)).check(self.Worker(running)))
            self.assertIsNone(BeatWatchdog(self.Worker(None)).check(self.Worker(None)))
        finally:
            release.set()
            running.join()


class EnvParsingTests(SimpleTestCase):
    def test_default_database_is_sqlite_in_data(self):
        config = env.database_config(None)
        self.assertEqual(config["ENGINE"], "django.db.backends.sqlite3")
        self.assertEqual(config["NAME"], "/data/db.sqlite3")
        self.assertEqual(config["OPTIONS"]["timeout"], env.SQLITE_LOCK_TIMEOUT)

    def test_postgres_url_uses_postgres_backend_with_connect_timeout(self):
        config = env.database_config("postgresql://u:p@db:5432/site")
        self.assertEqual(config["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual((config["HOST"], config["PORT"], config["NAME"]), ("db", 5432, "site"))
        self.assertEqual(config["OPTIONS"]["connect_timeout"], env.POSTGRES_CONNECT_TIMEOUT)

    def test_env_bool(self):
        self.assertTrue(env.env_bool("True"))
        self.assertFalse(env.env_bool("0"))
        self.assertTrue(env.env_bool(None, default=True))
        with self.assertRaises(ValueError):
            env.env_bool("maybe")

    def test_env_list(self):
        self.assertEqual(env.env_list(" a.example, localhost ,", ["*"]), ["a.example", "localhost"])
        self.assertEqual(env.env_list("", ["*"]), ["*"])

    def test_result_backend_follows_redis_broker_only(self):
        self.assertEqual(env.result_backend(None, "redis://r:6379/0"), "redis://r:6379/0")
        self.assertIsNone(env.result_backend(None, "amqp://guest@mq//"))
        self.assertIsNone(env.result_backend(None, None))
        self.assertEqual(env.result_backend("redis://other/1", "redis://r/0"), "redis://other/1")
