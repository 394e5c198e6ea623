#!/bin/bash
# Renders the proxy's nginx.conf from PROXY_* and runs nginx in the foreground;
# `dockyard-proxy health` is the container's health probe; any other command runs as given.
set -euo pipefail

port=${PROXY_PORT:-80}
conf=/run/dockyard-proxy/nginx.conf

if [ "${1:-}" = health ]; then
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /.dockyard-proxy/health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  read -r -t 2 _ status _ <&3
  [ "$status" = 200 ]
  exit
fi
if [ "$#" -gt 0 ]; then
  exec "$@"
fi

upstream=${PROXY_UPSTREAM:-web:80}
resolver=${PROXY_RESOLVER:-127.0.0.11}
tmp=/run/dockyard-proxy

cat >"$conf" <<CONF
# Rendered by dockyard-proxy at start from PROXY_UPSTREAM=$upstream PROXY_PORT=$port.
worker_processes 1;
pid $tmp/nginx.pid;
error_log stderr notice;
events { worker_connections 1024; }
http {
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    log_format upstream '\$remote_addr [\$time_iso8601] "\$request" \$status \$body_bytes_sent '
                        'rt=\$request_time upstream=\$upstream_addr ustatus=\$upstream_status '
                        'urt=\$upstream_response_time';
    access_log /dev/stdout upstream;
    server_tokens off;

    # Docker's embedded DNS answers a Swarm service name (endpoint mode dnsrr) with one
    # address per healthy task. valid=1s and a variable in proxy_pass make nginx ask
    # again at most a second later, so it follows tasks that come and go in an update.
    resolver $resolver valid=1s ipv6=off;
    resolver_timeout 2s;

    server {
        listen $port default_server;

        location = /.dockyard-proxy/health {
            access_log off;
            return 200 "ok\n";
        }

        location / {
            set \$app_upstream $upstream;
            proxy_pass http://\$app_upstream;
            # Swarm drops a stopping task from DNS 2 s before stopping it, so re-resolving is
            # enough for updates; these retries cover a task that dies (refused or silent
            # address): the request goes to the next address. A non-idempotent request that
            # reached a server is never sent again (nginx's default). See docs/stage.md.
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 4;
            proxy_next_upstream_timeout 15s;
            proxy_connect_timeout 1s;
            proxy_read_timeout 60s;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
        }
    }
}
CONF

nginx -e stderr -t -q -c "$conf"
exec nginx -e stderr -c "$conf" -g 'daemon off;'
