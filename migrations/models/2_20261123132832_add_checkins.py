from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


# Written by aerich for SQLite and again for PostgreSQL, merged by migrations/make.py
# (see docs/migrations.md).
SQL = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "members" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "membership_status" VARCHAR(8) NOT NULL /* ACTIVE: active
FROZEN: frozen
EXPIRED: expired */,
    "status" VARCHAR(3) NOT NULL /* IN: in
OUT: out */,
    "created_at" TIMESTAMP NOT NULL,
    "user_id" INT REFERENCES "users" ("id") ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS "idx_members_status_99497b" ON "members" ("status");
CREATE TABLE IF NOT EXISTS "checkins" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "checked_in_at" TIMESTAMP NOT NULL,
    "checked_out_at" TIMESTAMP,
    "member_id" INT NOT NULL REFERENCES "members" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_checkins_member__8772b3" ON "checkins" ("member_id", "checked_out_at");
CREATE INDEX IF NOT EXISTS "idx_checkins_checked_b01a96" ON "checkins" ("checked_in_at");
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "members" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "membership_status" VARCHAR(8) NOT NULL,
    "status" VARCHAR(3) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" INT REFERENCES "users" ("id") ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS "idx_members_status_99497b" ON "members" ("status");
COMMENT ON COLUMN "members"."membership_status" IS 'ACTIVE: active
FROZEN: frozen
EXPIRED: expired';
COMMENT ON COLUMN "members"."status" IS 'IN: in
OUT: out';
CREATE TABLE IF NOT EXISTS "checkins" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "checked_in_at" TIMESTAMPTZ NOT NULL,
    "checked_out_at" TIMESTAMPTZ,
    "member_id" INT NOT NULL REFERENCES "members" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_checkins_member__8772b3" ON "checkins" ("member_id", "checked_out_at");
CREATE INDEX IF NOT EXISTS "idx_checkins_checked_b01a96" ON "checkins" ("checked_in_at");
""",
}

DOWNGRADE_SQL = {
    "sqlite": """
DROP TABLE IF EXISTS "checkins";
DROP TABLE IF EXISTS "members";
""",
    "postgres": """
DROP TABLE IF EXISTS "checkins";
DROP TABLE IF EXISTS "members";
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
    "eJztXVtzmzgU/isMT+1Mt9O6SZrxm+OQhq0vGcdpO206jAyyrQ0WLsi5bDf/fSUuBnGxwR"
    "eCqV7S5KAD4tPtO5+O6G95ZhnQdN7eONCWm9JvGYMZpL9w9jeSDObz0MoMBIxMt+CClnAt"
    "YOQQG+iEGsfAdCA1GdDRbTQnyMLUihemyYyWTgsiPAlNC4x+LaBGrAkkU7ciP35SM8IGfI"
    "RO8Of8ThsjaBpcPZHBnu3aNfI0d20qJhduQfa0kaZb5mKGw8LzJzK18LI0woRZJxBDGxDI"
    "bk/sBas+q53/msEbeTUNi3hVjPgYcAwWJom87kgLbbKm9fpD7VoZappcACDdwgxcWlXHff"
    "sJq8JfjfdHH49OP5wcndIibjWXlo/P3qNDYDxHF57eUH52rwMCvBIuxiGocAaQmcS1PQV2"
    "OrBLhxi2tNJxbAMkqwvuDDxqJsQTMmWIHh+tgPJLa9C+bA1e0VKv2SMtOgC8YdHzLzW8aw"
    "zvEN85cJwHyza0KXCmRXBOOO4G78AQAh6O4BdA/DgX4scrED+OIz5GtkM0968CcPNe5WEt"
    "y6Ug/f7duxxI01KZSLvXeKRNsAHQnJPAOQ/OM2uEzEIghx61Q/hDIwfAHxqZ+LJLPLzI0R"
    "wCxuMkwGeWZUKAMxhGxC2G8oj67QvmpWUPSK9A9qzf77A7zxznl+ka1GEM4pvumUL7tos8"
    "LYQIjFIQDm/KHdF9So9eB3joVyLiASM5WMB1GzJINECSiJ/TKwTNYDrkvGcMc8N3fRv8co"
    "h8hL6g0cfmk9/OKxpkqHaV62Gre8W1ynlrqLArDdf6FLO+OonNQ8ubSF/V4aXE/pS+93uK"
    "C6/lkIntPjEsN/wuszqBBbE0bD1owIiQ5MAaoPbMYqfxXYToM8MI6HcPgDJJ7kpkGbcmCD"
    "spg9H3u/g8gCZwkU12Aj947LB7HGD7Pwc9PrCG/SAECJjQJlsC1GL3qCtA+hQQbQYdB0zg"
    "ljh1vbvkQMofA4cFlD+f2pY12xKoAb1FXVHyutNsBG1niuY7AKrr3qyuw8+HatuBlxOiQ+"
    "lRbOmzGlbWYpi8NGvM4haA6Vxk+M9mT+KWuxQRdbkOZquo4XJbHRk1O5JM1VEPX+vbVRSZ"
    "LazacEy53FT7h6AieMfcNgK+YiN03/H7HX2vIhAH5UuURgIxtyQR6iSPBhUPTSIS1EkcYh"
    "FBZkNfrwgy2uo2vLfuNmp13nMHrV6xKe1AGjnAJFcr037seAQx/1oV9xTL1frliu2ia4X2"
    "siMe6ze0D2HK3MGedkLp4gFOonth2RBN8Gf45IKs0hoBrKdpybF8iAMDNyseomYbPCzjgW"
    "inou9O3xh68nG7dd1unSvyc7Z0uM/IytPJUiKrpYCWHVmFOt1eI6sfUezY6i//FDkrZeas"
    "jCjo+jR1Ds1erDinGuZSvG+c5mH9jdNs2s+u8WsVQaTYxvPSoYYIN3Lt7TdW7O03knv7Dr"
    "yHNiJP6SAreDFLLFcc4FH/KmMud/pfmxL9cYu7yrl6021K3r+3+FL9dNmU2M9b3B6oQ7Xd"
    "6jSl4Dd5g5bKMxKyx0FiFNBnjZEBffhjtMK0QMZ0zrvFGmfM/KrTPLuIfM77N2cdRboaKG"
    "31Wu33+FDHvcjvVA8U2rw81AZlIfpmSkPMtYZSQ72iTpCyfK/M/whcRLJNgdwPBtpGAg4Q"
    "6s0hjCOhzGZzgvoqs0JDEhqS0JCyNKQghyhFRYqkF2XrSIl0pt3KST9k28/doWN8arkdRD"
    "cRxIRhSd8sLDBZwEi2fKRQQpJiHn5TICFIlSxI8c2UVyvhvcTWyfqtk5FlpAglQ/iY0X+D"
    "8lUWRnbCWpVvQ465BCC+6ra+vebYS6ff+xQUj4De7vTP4qrHcrYp0Kc5p/p16ZM8JwRPsg"
    "8IniTOBwr+ng19ffm7t/AXY/Ccz0YcvmpDayerckTqCClQTkgjHiIoWh8UBax0y6AoZ+Z6"
    "1cDNGxRFOlV6UJScCMqLNCs2BeTFlJv7OFRpDaTeTafzUrGm25lTAs2gk6+JMpcHQaqTCy"
    "6iwS2jQcdcTIpw5qB87ZLsd8+Wi4bY5X9noLx8j318aSA7lX59JkL5afUbZCFc3Zx11HZT"
    "mi9GJtJv8dVA/ULjAWqw0T2t3i2mzP7ioiktj/a/dO6BiA//wPgwaLvRU7GAJuEn4sS1UU"
    "2ImaDha2h4onsVpuLRQ6vlHhev2uxV3sneeh6A3ndQ5yOWEdqFeOYI8LRIM+5rK9HdsI5v"
    "C4q4r8y4T1C1P5GqCdV51zq+SG4SOn4FyG4hHV/kix1wvlh7CvW79O+5BJfWED23UBknDz"
    "0m6WPoPpfSBmtBGHVwM8cCG8KuSTDAUhkgB35REhh3riEPPBDely/znh99G7Z26C3OWVS5"
    "tbmJN+e0yfkIYrqemM6WqsqWPKp2clecSXFdq0pcKls2yyOZ7U0oSxAp2oPIwhEEqVyCJP"
    "bv9/s1gfCjqZrfwVPBXr+Zn3qjKreC3GoP1S9KU/I+EX+LLwb970qP3ty2/oX4FivfrtSB"
    "ct6U4OMc2dCowN7+dk30Eu0iU7oqF2wYlTYCog3Qvxk2pcC/6FGSPCdJsg+SiKQKodS/hK"
    "5csXisVmdmK4btthJoseSJqOK4eWJARNw8sFnqRbICWtBG+lRO+zadd+XNyo/ThWVEqvch"
    "zXhvVsQz95Qjo2IfTY24VJlPbxrV7ON/9GODqgDCfvEaoruXnG/6RAJxChP++7rfy2DBoU"
    "ucAiOdSP9JJnIOUd5cAS4Dg+O5iSPW8dPUMQLLbnCWRqDK1Ome/wfTcYFq"
)
