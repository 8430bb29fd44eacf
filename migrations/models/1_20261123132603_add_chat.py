from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


# Written by aerich for SQLite and again for PostgreSQL, merged by migrations/make.py
# (see docs/migrations.md).
SQL = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "chat_rooms" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "slug" VARCHAR(64) NOT NULL UNIQUE,
    "name" VARCHAR(100) NOT NULL,
    "kind" VARCHAR(8) NOT NULL /* PUBLIC: public
PRIVATE: private
STAFF: staff */,
    "created_at" TIMESTAMP NOT NULL,
    "created_by_id" INT REFERENCES "users" ("id") ON DELETE SET NULL
);
CREATE TABLE IF NOT EXISTS "chat_messages" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "guest_name" VARCHAR(32),
    "body" TEXT NOT NULL,
    "client_id" VARCHAR(64),
    "created_at" TIMESTAMP NOT NULL,
    "author_id" INT REFERENCES "users" ("id") ON DELETE SET NULL,
    "room_id" INT NOT NULL REFERENCES "chat_rooms" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_chat_messag_room_id_d9dac1" UNIQUE ("room_id", "author_id", "client_id"),
    CONSTRAINT "uid_chat_messag_room_id_0c7222" UNIQUE ("room_id", "guest_name", "client_id")
);
CREATE INDEX IF NOT EXISTS "idx_chat_messag_room_id_8d6ba9" ON "chat_messages" ("room_id", "id");
CREATE TABLE IF NOT EXISTS "chat_room_members" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "room_id" INT NOT NULL REFERENCES "chat_rooms" ("id") ON DELETE CASCADE,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_chat_room_m_room_id_0cc343" UNIQUE ("room_id", "user_id")
);
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "chat_rooms" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "slug" VARCHAR(64) NOT NULL UNIQUE,
    "name" VARCHAR(100) NOT NULL,
    "kind" VARCHAR(8) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "created_by_id" INT REFERENCES "users" ("id") ON DELETE SET NULL
);
COMMENT ON COLUMN "chat_rooms"."kind" IS 'PUBLIC: public
PRIVATE: private
STAFF: staff';
CREATE TABLE IF NOT EXISTS "chat_messages" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "guest_name" VARCHAR(32),
    "body" TEXT NOT NULL,
    "client_id" VARCHAR(64),
    "created_at" TIMESTAMPTZ NOT NULL,
    "author_id" INT REFERENCES "users" ("id") ON DELETE SET NULL,
    "room_id" INT NOT NULL REFERENCES "chat_rooms" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_chat_messag_room_id_d9dac1" UNIQUE ("room_id", "author_id", "client_id"),
    CONSTRAINT "uid_chat_messag_room_id_0c7222" UNIQUE ("room_id", "guest_name", "client_id")
);
CREATE INDEX IF NOT EXISTS "idx_chat_messag_room_id_8d6ba9" ON "chat_messages" ("room_id", "id");
CREATE TABLE IF NOT EXISTS "chat_room_members" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL,
    "room_id" INT NOT NULL REFERENCES "chat_rooms" ("id") ON DELETE CASCADE,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_chat_room_m_room_id_0cc343" UNIQUE ("room_id", "user_id")
);
""",
}

DOWNGRADE_SQL = {
    "sqlite": """
DROP TABLE IF EXISTS "chat_room_members";
DROP TABLE IF EXISTS "chat_messages";
DROP TABLE IF EXISTS "chat_rooms";
""",
    "postgres": """
DROP TABLE IF EXISTS "chat_room_members";
DROP TABLE IF EXISTS "chat_messages";
DROP TABLE IF EXISTS "chat_rooms";
""",
}


async def upgrade(db: BaseDBAsyncClient) -> str:
    dialect = db.capabilities.dialect
    if dialect not in SQL:
        raise RuntimeError(f"no SQL for the {dialect} dialect in this migration")
    return SQL[dialect]


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWNGRADE_SQL[db.capabilities.dialect]


MODELS_STATE = (
    "eJztnFtz2joQgP+Kx0/tTE+nJQnN8AaENJxyyRDSdpp0PMIWoBNbprZIyrT570fyBVu+gE"
    "3ANa5e0mSlteVPt93Vqr9kw9Sgbr+9taElN6RfMgYGpL9w8jeSDBaLQMoEBEx0p+KS1nAk"
    "YGITC6iECqdAtyEVadBWLbQgyMRUipe6zoSmSisiPAtES4x+LKFCzBkkc6chd9+pGGEN/o"
    "S2/+fiQZkiqGtcO5HG3u3IFbJaOLIuJpdORfa2iaKa+tLAQeXFisxNvK6NMGHSGcTQAgSy"
    "xxNryZrPWud9pv9FbkuDKm4TQzoanIKlTkKfO1ECmawog+FYuemMFUXOAUg1MYNLm2o7Xz"
    "9jTfin9v70w+n5Sf30nFZxmrmWfHh2Xx2AcRUdPIOx/OyUAwLcGg7jACo0ANLjXNtzYCWD"
    "XStE2NJGR9n6JMsL1wA/FR3iGZkzomenG1B+bo7aV83RK1rrNXulSSeAOy0GXlHNLWO8A7"
    "4LYNtPpqUpc2DP83COKe6Hty8IgAcz+A8QP8tE/GwD8bMo8SmybKI4f+XAzWsVx1qWCyH9"
    "/t27DKRprVTSThlPWgc7gOaUBOcsnA1zgvRckAONyhE+qWUAfFJL5cuKeLzIVmwCptM44J"
    "Zp6hDgFAsjpBahPKF6h8K8lhyA9AayreGwx55s2PYP3RF0xxHEt/1Wh45thzythAgMmyAc"
    "b2o7oseEEb0NeKBXIHHfIjla4KoFGRIFkDjxC1pCkAGTkfOaEeaap/rW/+UY7RH6gdoQ6y"
    "uvnzd0yLjb79yMm/1rrlcumuMOK6k50lVE+qoeWYfWD5G+dMdXEvtT+jYcdBy8pk1mlvPG"
    "oN74m8zaBJbEVLD5pAAtZCT7Up/aM/Odpg8hQ58JJkB9eALUkuRKQtu4OUPYTpiMnt7lpx"
    "HUgUM2Pgg857HHnnGE/f/sj3hfGoyDABDQoUVeCKjJnlFVQOocEMWAtg1m8IWc+u5TMpDy"
    "5sBxgfLWU8s0jReCGtFHVJWSO5yMCbTsOVrsAVTfeViVph9b2M2ambbUx4uMmhGVAExnmu"
    "a9m72JW8wTQoTrVT49RhhsJuUJEqb7SYlRwuOPZO3LR0oPG1pwSi2VufIfQXl4R9R2Al+y"
    "Fe3Q3ukD/a48iP36BTr+fqiyoBBLPUuEJWp4hwIs9Shi4R+lo6+WfxTudQs+mg879TqvuY"
    "deL9mSdiSd7DPJ1Mt0HNuulZh9r4pqiu1q+3bFzoiVXCe1IY3tx7XHsGTu4cQ2FsfhAcfp"
    "XpoWRDP8Ca4cyF3aIoDVpEhp5LT/yOCm+UNUbIGntT8QHlT02+kXQzc42m7etJsXHfk5PT"
    "B2SM/KjQIleFbr8FC6ZxVEoQ7qWd2F2bHdX/4uMjKKzMiYUOjqPHENTd+sOKUKZgq8r51n"
    "sfpr5+lmPyvj9yqCSL5j1bVCBQnXMp1c1zacXNfiJ9c2fIQWIqtkyB28NGLbFQc8rF9m5n"
    "Jv+KUh0R/3uN+56N72G5L77z2+6n68akjs5z1uj7rjbrvZa0j+b/IOPZVlJqTPg9gsoO+a"
    "Ig16+CNmhW6ClOWcV4t0zpTplad79uH5XAxvW72OdD3qtLs33eGAd3WcQv4cdtSh3cuj1q"
    "gVou4WaYioVjDUUC2vEyRs3xuzG3wVkUqSI7OBQdspgANE9OYY5pGIzKbbBNWNzIoYkogh"
    "iRhSWgzJz5BJiCKFkmfS40ixZJ39hpPuZMvLTKFzfG46A0TVEcSEsaRfFlSYLWEoFzxUKR"
    "aSYhpeVyARkCo4IMV3U9ZYCa8ljk62H51MTC0hUDKGP1PGr1+/zIGRvVitna9jznLxIb7q"
    "N7++5qyX3nDw0a8egt7uDVvRqMd6tckxpjml6g3pepb7b/X062/12O03Yb+no6+u/e5u/P"
    "kseE5nJxu+bFNrL7tyKNQRmEAZkYY0hFO03SnyrdIXOkUZ87LLBjerUxQaVMlOUXwhKM7T"
    "LNkSkJUpt/ZxVGkLpMFtr/enfE1nMCc4mv4g3+Jlrq85lCcXXHiDL/QGbX05y2Mz+/Url2"
    "S/f2s5r4td/C364vI9DnGPPj2VfnsmQvFp9TtkIVzftnrddkNaLCc6Uu/x9aj7mfoDVGCh"
    "R9q8e0wt+8vLhrS+uP6ncw+Ef/gX+od+301W+RyamJ7wE7d6NQEzYYZvMcNjwyu3KR6ykw"
    "u+DF221SvTPV/viu/LGInrvbs4dR6xFNcu4JnBwVNC3Xioo0TnwDp6LCj8viL9PmGq/Y2m"
    "mog67zuOL5KbRBy/BMZurji+yBc74nyxJrSQOk8y9bySjWYeCOqIGP4xrZCbbLlHaq6jfL"
    "fhQyplDoHuGG4+yH9EzCZVDsJe9QrSPUgwn76RQJzgjPx7MxykXlnzVaJeCFKJ9FvSkX2M"
    "BtUGuAwG52rEcueiaXJveB+CPaCVZHAVuZk9/w/qOwIC"
)
