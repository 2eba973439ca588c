"""A small auth backend's Redis code, written with redis-py: the login and token refresh of
the audited application (refresh tokens stored under their SHA-256, a per-user session set).

Run it through `redisaudit record` to turn its traffic into scenarios:

    redisaudit record --listen 127.0.0.1:6390 --upstream redis://127.0.0.1:6379 --output recorded &
    python app.py --url redis://127.0.0.1:6390 --flow both
    kill -INT %1

Each flow opens its own client (its own connection), as two requests of a web server would.
`--retries N` sets redis-py's retries on a lost connection (default: the library's own, 10).
Prints one JSON line: the token hashes it issued.
"""

import argparse
import hashlib
import json
import secrets
import warnings
from urllib.parse import urlparse

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

REFRESH_TOKEN_TTL = 7 * 24 * 3600

# The application stores tokens with SETEX, which redis-py marks deprecated in favour of SET ... EX.
warnings.filterwarnings("ignore", category=DeprecationWarning)


def client(url, retries, name=None, password=None, cluster=False):
    """A client made as `redis.Redis(host=..., port=...)`, which retries a lost connection 10 times
    by default (redis-py 8); `redis.Redis.from_url` makes one that does not retry at all."""
    parts = urlparse(url)
    options = {
        "host": parts.hostname,
        "port": parts.port or 6379,
        "username": parts.username,
        "password": password or parts.password,
        "client_name": name,
    }
    if retries is not None:
        options["retry"] = Retry(NoBackoff(), retries)
    if cluster:
        return RedisCluster(**options)
    return redis.Redis(**options)


def new_token_hash():
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def session(user_id, token_hash):
    return json.dumps({"userId": user_id, "tokenHash": token_hash}, separators=(",", ":"))


def login(r, user_id):
    """Store the refresh token and register it in the user's session set, then check its TTL."""
    token_hash = new_token_hash()
    pipe = r.pipeline(transaction=False)
    pipe.setex(f"rt:{user_id}:{token_hash}", REFRESH_TOKEN_TTL, session(user_id, token_hash))
    pipe.sadd(f"sess:{user_id}", token_hash)
    pipe.expire(f"sess:{user_id}", REFRESH_TOKEN_TTL)
    pipe.smembers(f"sess:{user_id}")
    pipe.execute()
    r.ttl(f"rt:{user_id}:{token_hash}")
    return token_hash


def refresh(r, user_id, old_hash):
    """Rotate a refresh token: validate the old one, store and register the new one, drop the old one."""
    if r.get(f"rt:{user_id}:{old_hash}") is None:
        raise SystemExit("the old refresh token is not valid")
    new_hash = new_token_hash()
    r.setex(f"rt:{user_id}:{new_hash}", REFRESH_TOKEN_TTL, session(user_id, new_hash))
    r.sadd(f"sess:{user_id}", new_hash)
    r.expire(f"sess:{user_id}", REFRESH_TOKEN_TTL)
    r.delete(f"rt:{user_id}:{old_hash}")
    r.srem(f"sess:{user_id}", old_hash)
    r.ttl(f"rt:{user_id}:{new_hash}")
    return new_hash


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", default="user123")
    parser.add_argument("--flow", choices=["login", "refresh", "both"], default="both")
    parser.add_argument("--old-hash", help="the token hash to rotate (--flow refresh)")
    parser.add_argument("--retries", type=int, default=None)
    parser.add_argument("--client-name", help="CLIENT SETNAME for each connection")
    parser.add_argument("--password", help="AUTH password (else the URL's)")
    parser.add_argument("--cluster", action="store_true", help="the URL is a Redis Cluster node")
    args = parser.parse_args()
    issued = {}
    if args.flow in ("login", "both"):
        r = client(args.url, args.retries, args.client_name, args.password, args.cluster)
        issued["login"] = login(r, args.user)
        r.close()
    if args.flow in ("refresh", "both"):
        old = args.old_hash or issued["login"]
        r = client(args.url, args.retries, args.client_name, args.password, args.cluster)
        issued["refresh"] = refresh(r, args.user, old)
        r.close()
    print(json.dumps(issued))


if __name__ == "__main__":
    main()
