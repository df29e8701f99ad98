#!/bin/sh
# Entry point of the Tessera image; behaves like the official redis image's:
#   docker run tessera                       -> tessera --bind 0.0.0.0 --protected-mode no (CMD)
#   docker run tessera --port 7000           -> tessera --port 7000 --protected-mode no
#   docker run tessera /etc/tessera.conf     -> tessera /etc/tessera.conf [--protected-mode no]
#   docker run tessera redis-server ...      -> same as tessera (redis-server is a symlink)
#   docker run tessera sh                    -> sh
# When started as root, /data (the working directory) is chowned to the `redis` user
# and the server runs as that user.
set -e

# first arg is `-f` or `--some-option`, or first arg is `something.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- tessera "$@"
fi

case "$1" in
	tessera | redis-server | */tessera | */redis-server) is_server=1 ;;
	*) is_server= ;;
esac

# allow the container to be started with `--user`
if [ -n "$is_server" ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec setpriv --reuid=redis --regid=redis --clear-groups -- "$0" "$@"
fi

if [ -n "$is_server" ]; then
	# Protected mode is pointless inside a container (ports are only reachable when
	# published with -p/-P), so turn it off unless the arguments or the config file
	# (when the first argument is one) set it explicitly -- as the official image does.
	do_protected_mode=1
	config_file=
	if [ -f "$2" ]; then
		config_file="$2"
		if grep -q '^[[:space:]]*protected-mode' "$config_file"; then
			do_protected_mode=
		fi
	fi
	for arg; do
		case "$arg" in
			--protected-mode) do_protected_mode= ;;
		esac
	done
	if [ -n "$do_protected_mode" ]; then
		set -- "$@" --protected-mode no
	fi
fi

# set an appropriate umask (if one isn't set already)
um="$(umask)"
if [ "$um" = '0022' ]; then
	umask 0077
fi

exec "$@"
