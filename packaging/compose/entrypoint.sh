#!/bin/sh
# Adds the database password from its secret file to the connection string, then starts the host.
set -e
if [ -n "${SUPPORTPLATFORM_DB_PASSWORD_FILE:-}" ] && [ -r "$SUPPORTPLATFORM_DB_PASSWORD_FILE" ]; then
  SupportPlatform__Database__ConnectionString="${SupportPlatform__Database__ConnectionString};Password=$(cat "$SUPPORTPLATFORM_DB_PASSWORD_FILE")"
  export SupportPlatform__Database__ConnectionString
fi
exec /opt/supportplatform/SupportPlatform.Host "$@"
