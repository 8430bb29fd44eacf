from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


# Written by aerich for SQLite and again for PostgreSQL, then merged by hand: aerich emits
# dialect-specific SQL, so every Roomcast migration branches on the connection's dialect
# (see docs/migrations.md).
SQL = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "users" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" VARCHAR(254) NOT NULL UNIQUE,
    "password_hash" VARCHAR(255) NOT NULL,
    "first_name" VARCHAR(100) NOT NULL,
    "last_name" VARCHAR(100) NOT NULL,
    "mobile" VARCHAR(32) NOT NULL,
    "is_staff" INT NOT NULL,
    "is_active" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS "logins" (
    "id" VARCHAR(32) NOT NULL PRIMARY KEY,
    "refresh_jti" VARCHAR(32),
    "kind" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "revoked_at" TIMESTAMP,
    "revoked_reason" VARCHAR(32),
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "alerts" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "breach_id" VARCHAR(128) NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "severity" VARCHAR(8) NOT NULL /* LOW: LOW\nMEDIUM: MEDIUM\nHIGH: HIGH\nCRITICAL: CRITICAL */,
    "confidence" REAL NOT NULL,
    "detected_at" TIMESTAMP NOT NULL,
    "read" INT NOT NULL,
    "read_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_alerts_user_id_a30bb4" ON "alerts" ("user_id", "read");
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "users" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "email" VARCHAR(254) NOT NULL UNIQUE,
    "password_hash" VARCHAR(255) NOT NULL,
    "first_name" VARCHAR(100) NOT NULL,
    "last_name" VARCHAR(100) NOT NULL,
    "mobile" VARCHAR(32) NOT NULL,
    "is_staff" BOOL NOT NULL,
    "is_active" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS "logins" (
    "id" VARCHAR(32) NOT NULL PRIMARY KEY,
    "refresh_jti" VARCHAR(32),
    "kind" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "revoked_at" TIMESTAMPTZ,
    "revoked_reason" VARCHAR(32),
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "alerts" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "breach_id" VARCHAR(128) NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "severity" VARCHAR(8) NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "detected_at" TIMESTAMPTZ NOT NULL,
    "read" BOOL NOT NULL,
    "read_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_alerts_user_id_a30bb4" ON "alerts" ("user_id", "read");
COMMENT ON COLUMN "alerts"."severity" IS 'LOW: LOW\nMEDIUM: MEDIUM\nHIGH: HIGH\nCRITICAL: CRITICAL';
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);""",
}


async def upgrade(db: BaseDBAsyncClient) -> str:
    dialect = db.capabilities.dialect
    if dialect not in SQL:
        raise RuntimeError(f"no SQL for the {dialect} dialect in this migration")
    return SQL[dialect]


async def downgrade(db: BaseDBAsyncClient) -> str:
    # The same SQL on both dialects.
    return """
DROP TABLE IF EXISTS "alerts";
DROP TABLE IF EXISTS "logins";
DROP TABLE IF EXISTS "users";"""


MODELS_STATE = (
    "eJztmltz2jgUgP+Kx0/ZmW6ncS7N5A2Is/GWSwfIdqdNxyNsAdrYErVEUqblv68kY2z5Qj"
    "ANLLB+SeDoHEv6JFnnwg/dJy706Nt7CgP9WvuhY+BD/kGRv9F0MJnEUiFgYOBJxSnXkBIw"
    "oCwADuPCIfAo5CIXUidAE4YI5lI89TwhJA5XRHgUi6YYfZtCm5ERZGM5kC9fuRhhF36HNP"
    "o6ebSHCHquMk7kir6l3GaziZRZmN1KRdHbwHaIN/VxrDyZsTHBS22EmZCOIIYBYFA8ngVT"
    "MXwxusU0oxmFI41VwiEmbFw4BFOPJaY7sGOZbtvtTt/umX3b1ksAcggWcPlQqZz9SAzhd+"
    "P0/P351dnl+RVXkcNcSt7Pw65jMKGhxNPu63PZDhgINSTjGCr0AfKyXBtjEOSDXRqk2PJB"
    "p9lGJPcXrg++2x7EIzYWRC/OV6D8q9Zt3NW6J1zrN9El4QcgPBbtRZMRtgneMd8JoPSZBK"
    "49BnRchnPG8HV4R4IYeHyC/wPiF2sRv1hB/CJNfIgCymz5rQRu1Wp3rHV9J6RP371bgzTX"
    "KiQt21TSHtgAtGJUcV6Hs08GyCsFObY4OsJnxhqAz4xCvqJJxYuoTRkYDrOA64R4EOACDy"
    "NhlqI84HbbwryUbIH0CrL1TqcpnuxT+s2TAqufQnzfqpt8b0vyXAkxmHRBFN7cd0RPOTv6"
    "JeCx3Q6JRx7JwQJ3AiiQ2IBlid/wFoZ8mI9ctUwxdxemb6MPh+iP8Am6HezNFuu8YkH6Vs"
    "vs9Wutj8qq3NT6pmgxpHSWkp5cpt5Dy4don6z+nSa+ap87bVPiJZSNAtljrNf/rIsxgSkj"
    "NibPNnATTnIkjajNRew0fEw4+kIwAM7jM+CepNKSuMbJCGGacxgXdrcfutADkmx2EyyCx6"
    "Z4xgGu/zza8ZE03gcxIODBgP0ioJp4xjEBEjuLGKRor2WbfMNPSwAGIzkl0bfoSdlNOTmK"
    "5TYrTlLEu3l/shTFjlpumuLwQ+nXctKK8xYBHPJX5dj+h6EyvFNmG4FfYN2XE7pt9/iRz6"
    "sM4kh/h5FHlCvZUYx3uU6Il775ExHeZRpx5aD9Xxy05KoH8Ik8brTqquUrrPqevdIOZJEj"
    "JmutMt/HNHQQ17+r0pbVdfXydSWKVHapUlHC4uV60SG8Ml+hZJQJJFXAWbq3JIBohD/AmY"
    "Rs8REB7OSlalLlxgODWxQPcXEAnpfxQHJT8bnzGcMwO9Oo9Rq1G1OfF0fm24yswjA0J7Ja"
    "xqfFkVUcBm81svqSZCduf/1rVRLeZUl4wKE749x3aPFlpRgdYany1Lhax+s3rordftGm3l"
    "UMsXJ1naXBERI21iqdGStKZ0a2dEbhEwwQm+VDNvHUz1xXCvCk/T4z15udT9ca//OAW+aN"
    "dd+61sL/D/jO+uPuWhN/H3Cja/WtRq15rUWf9A1Wap2TUHwOMqeA9zVELlzgT7kVHgEFr3"
    "PVLLU4Q2G3P8vzGpHPTee+3jS1j12zYfWsTlsNdWSjWgjqmnx5VdQu90KczTINKdMjTDUc"
    "V9QJcq7vleXVyKSqZZcorQpoGyVwQJW9OYRzVGVmi32C483MVjmkKodU5ZAKc0g8InLGel"
    "4SKWx5szKLFOvsTX2+Shn9YsqIB8kUlatuJEz2ObDep1+2i0NVgvBC/QjpbuVX1rxHBnGO"
    "n/dnr9MuTEFEJmkHDzlM+6l5iB7i7b8CroCheHER05NW7e807kazU0+7Z+IB9TzvYJeX2f"
    "xfG1WQyQ=="
)
