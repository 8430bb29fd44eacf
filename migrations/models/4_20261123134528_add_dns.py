from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


# Written by aerich for SQLite and again for PostgreSQL, merged by migrations/make.py
# (see docs/migrations.md).
SQL = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "dns_zones" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(253) NOT NULL UNIQUE,
    "created_at" TIMESTAMP NOT NULL,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "dns_records" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "type" VARCHAR(8) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "content" TEXT NOT NULL,
    "ttl" INT NOT NULL,
    "priority" INT,
    "service" VARCHAR(130),
    "version" INT NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "zone_id" INT NOT NULL REFERENCES "dns_zones" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_dns_records_zone_id_59716d" ON "dns_records" ("zone_id", "name");
CREATE TABLE IF NOT EXISTS "dns_record_audit" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "record_id" INT NOT NULL,
    "action" VARCHAR(8) NOT NULL,
    "before" JSON,
    "after" JSON,
    "at" TIMESTAMP NOT NULL,
    "actor_id" INT REFERENCES "users" ("id") ON DELETE SET NULL,
    "zone_id" INT NOT NULL REFERENCES "dns_zones" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_dns_record__zone_id_e47de5" ON "dns_record_audit" ("zone_id", "id");
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "dns_zones" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(253) NOT NULL UNIQUE,
    "created_at" TIMESTAMPTZ NOT NULL,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "dns_records" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "type" VARCHAR(8) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "content" TEXT NOT NULL,
    "ttl" INT NOT NULL,
    "priority" INT,
    "service" VARCHAR(130),
    "version" INT NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "zone_id" INT NOT NULL REFERENCES "dns_zones" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_dns_records_zone_id_59716d" ON "dns_records" ("zone_id", "name");
CREATE TABLE IF NOT EXISTS "dns_record_audit" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "record_id" INT NOT NULL,
    "action" VARCHAR(8) NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "at" TIMESTAMPTZ NOT NULL,
    "actor_id" INT REFERENCES "users" ("id") ON DELETE SET NULL,
    "zone_id" INT NOT NULL REFERENCES "dns_zones" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_dns_record__zone_id_e47de5" ON "dns_record_audit" ("zone_id", "id");
""",
}

DOWNGRADE_SQL = {
    "sqlite": """
DROP TABLE IF EXISTS "dns_records";
DROP TABLE IF EXISTS "dns_record_audit";
DROP TABLE IF EXISTS "dns_zones";
""",
    "postgres": """
DROP TABLE IF EXISTS "dns_record_audit";
DROP TABLE IF EXISTS "dns_records";
DROP TABLE IF EXISTS "dns_zones";
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
    "eJztXWtzozgW/SsUn3qqslOJndf6m2M73ew4dspxerq6PUVhkG1tsPAATjo9m/++Eg8jHs"
    "LgBwGiL92x0OVxJMS5515J/4hLQwO69fujBUyxJfwjImUJ8B+h8hNBVFaroJQU2MpUdyqu"
    "cQ2nRJlatqmoNi6cKboFcJEGLNWEKxsaCJeita6TQkPFFSGaB0VrBP9eA9k25sBeODfy4y"
    "9cDJEGfgLL/7l6kmcQ6FroPqFGru2Uy/bryimTkH3rVCRXm8qqoa+XKKi8erUXBtrUhsgm"
    "pXOAgKnYgJzeNtfk9sndeY/pP5F7p0EV9xYpGw3MlLVuU487lYMyUZYHw7H80BvLspgDIN"
    "VABFx8q5bz9HNyC/9qnJ1fnV83L8+vcRXnNjclV2/upQNgXEMHnsFYfHOOK7bi1nAwDkAF"
    "SwXqcVw7C8VMBnZjEMEW33QUWx/J8oK7VH7KOkBze0EQvThPgfJre9T50h59wrV+I5c08A"
    "vgvhYD71DDPUbwDvBdKZb1YpiavFCsRR6cY4aHwdsvCAAP3uB3QPwiE+IXKYhfRBGfQdOy"
    "ZedXDrjDVsVhLYqFIH12epoBaVyLibRzLIy0ruwAdMiI45wF56UxhXoukAOL2iHcbGQAuN"
    "lg4ksOheGFlmzZymwWB/jGMHSgIAbDoMwiKE+x3bFg3pQcAekUZG+Gwz4589Ky/tadAmkc"
    "gfjx7qaH+7aDPK4EbUBTkBDemDvC54QevQ3wwK5AxH1GUlnAVRMQSGTFjiPexUdsuATJkI"
    "ctI5hrnunv/h9V5CP4AbUh0l+9dk5pkLF013sYt+/uQ63SbY975EjDKX2NlH66jIxDm5MI"
    "f0rjLwL5KXwfDnoOvIZlz03nikG98XeR3JOytg0ZGS+yolEk2S/1UXsjvtPsiSL6pGCqqE"
    "8vCmaSoSPUZ9yYQ2QlvIye3e0fI6ArDrLxTuA5j31yjgq2/5vf4/3SoB8EACk6MO09AWqT"
    "c9QVIIieDaiCPSGS3LPUFSRrPd2cfE+kHqhT1RUuDVmyulDQfN9uNQIqdqPbaw1mef+8kb"
    "VSUP0y0L4gfcenqGtPwr3IlpfAspS9+9Kde5aa9iOf7ZmGsdz3pcOnqCtKbndaToFpLeDq"
    "AEDdOSer6+vnQbXvi5cRoqr0KELMjYbBourxQ8vGMlqiIDwWad61yZVCZDwhxLNh6ewYT+"
    "AMlCfIw9a5EqM81Y9EHErjYod9TDDDnuZC/q8N8+AdMdsJ+JK9ocdWF5/wc+WB2K9foHDr"
    "h5oKksgvsyjkUeGEEsgvoxBzfYsNfb30LbrVTfBsPO3U6mHLA7R6yYa0ijSyj0mmVsb92H"
    "IJYvZvVdSSf662f65Ijo+cK9OGstieblOFIfMAGTcxHT4McBzdW8MEcI7+AK8OyBK+IwWp"
    "SZGuSLZWxcBl+UO42FReNv4A3anws+MnBm5wq9N+6LS7PfGNHdg4pmflqvgJntVG3md7Vk"
    "EU4aie1Q8aO/L1F//iGXVFZtRNMejqInEMZX+sQkY1zPQ6a1xnYf2NazbtJ8fC3yob2vnS"
    "YjYGNUS4kSnzqJGSedSIZx5Z4BmY0H5NBrmH1svY5yoEOG1fZszF/vDPloD/maC7Xld6vG"
    "sJ7v8T9EX6/KUlkH8nqDOSxlKn3W8J/l/iDi2V5U1gvwextwBfawY14MEfoRW6oTCG87BZ"
    "pHFmxK48zXMIz6c7fLzp94T7Ua8jPUjDQdjVcQ6SoiCPZtTDzRuGWsMsRN1NaYiY1lBqqJ"
    "fXqSR8vlOz03wTngqYIzONgLaTgKNw9aYK7xFXZtmcoL7KLNeQuIbENSSWhuSnOSaoSFQG"
    "JFtHopMti1OScF+y1xbXkorVkpSlsUa2rAKUmH8M50yEo5Z1Glb/3Wg0m1eN0+bl9cX51d"
    "XF9ekG9/ihtAa4kT6TNgh9JxOmT6xNE/vJDBGEQV8omwIj+Y8PXfFY2IcDT1niTuywU0xn"
    "ckeXRIAzqEwb61JrTPe9QVcafG4JK4A0DPUE3belLv6pQG2Chl97o+5jryUYz8DU1mAXZe"
    "nwqRX4RmRCspPpO0PqoGzSiHt5muYg+hIm3rG533AX14cy494t9265d1su75aex5PPy02w"
    "rBMt25MFc/2A6wfV0g9Yo8IBoK3pDL8oxAkjYpmkmlArJOg10VZiizaxyZ9cuam3crPSlV"
    "zZqn79MnuwO2oFl1mW1bpkr6p1GVtU60PIBe3OWPraawnumicTNB5J7b6jH2DwFd0TEB7G"
    "sqMarMiyStjznqBOe9Dp9XvdlqCSx9eBVg4pYWVCFewiZUYM60TwuJJZNyXThcuWV8CEhk"
    "ZWiDLzqwOMc9RQJ6iILpBNDgo3G0ia95er4UHiTEDe7CVrdq4CfkAVkGtUXKMqgYCyR44L"
    "X77rXRfpcJelEhNUJe/ISZqeRFbHMp16RahJZIEpr5c598q1pEK1JAeaGKwp05y8+mWWN3"
    "b01g48dybv4tXFr1tdGLJHWYsdX9EGKIEYj8FP9rwk36QWKKdx3t63cYju+lh+umt/+y1E"
    "efvDwWe/OoV9pz+8iU6KtBO2c2AOwV7t4ghp8/L0tNTDcEiwNJInP6ZJlQZjvmM2TEuWrX"
    "NoSDFbfYZJExXZQy5lUr/1O86ambYLaKZsF9CMTdp9BqaVGIVmdlvKoriR4KwifXa90nbU"
    "d8KWNdR3KqLnZJLxKB8n41tDWXBBZ7ug88tbYnhPQadmKxWfRAQdqlOVKROGXkSbKVls1t"
    "jOolvIyqZ2YeIF5IvhFCxdeG2dC9uQDR9ZEygJSQnJtxheYFELp/qootAUzPBHKY7ufx6G"
    "g2R0A4soyYOqLfxP0KFVQecvBVUCRbpyERUpIoyNnCCqXCgzOynkw4Z9Y8BR3wP13G4Nd2"
    "cq4M7gAd/IGaCmTbh4Ff/qcg+Re4hV8BBjw8ABMM2YRlGyESArpPTIF8IU34AweOz338vt"
    "drpygr/td/F0R3uzL1R5tvLgDvWeDvX7RqxLtEdK4yJL5jaulRKvjmdv81zOD5jLabygvM"
    "mctAmndtupnYNXcTykbOhmJSJ0t9o9n5NKDNw9nTPIQqwJ1mFe7Acf9gUo676ilUHpmHTW"
    "3z4zgdFSO2uySW1sJ8/DEtsfoultW4k/FwvXb1J1SGbkkMjRiRBUmK+BZcs+uaIqxcJPxI"
    "KHn96JLYebKStnDlvVL+vo8LsGTQ0tIU2OneTp169FMKroDM9gtMnRp0NG9evSh19jgLuC"
    "bOjr6wq6H/6ccRPahgdOElb5DyhQ1hSQwIJ719u9a5+V7ulcZ9y0vWzgZnWuqU6VIXCy8Q"
    "B45CQtckKPfaUKnTidOSlV0Xfx0r1M0ll47KRe3qClr+d5OLNfv3axk8OzZT6RMpjTk2kj"
    "vrOUjfjO4hvxsXeR377eWfE7yufHWrx/vOlLnZawWk91qE7Q/Uj6iv0BXGDCZ3x7E4SZ/e"
    "1tS8APOZuJO7TLobfd4/7hB/QP/babvuZzaGJ23E/c6tUEmHEavoWGx7pXbipO8WQqvrJ7"
    "dIyK51Rs9MoUP1yC5RSY+4ZYsY9x55yoTjAd26nzEGO4dgGeGRw8mWrGY4USnXWsomFB7v"
    "cV6fdxqvYRqRpXnfm+HGVElOv4Rer4fBnJLJCWdKvUzgKoTzBx6w3/0Bai51QqYolEl0l6"
    "GDrXxbTBWNuEOjiZY34ZRE4RZ4CFMsAQ+HlJYNS4hjywIrzPxyRdowu/fTu2dmDNN2Esc2"
    "uHBt6Mw2bIhhPT7cR0uVFV9uRRtZO7okwq1LXKxKXYslkWyexoQlmMSPHtyj7etNL3HjzD"
    "E0szxe8bKfH7Rjx+770/C7iS99u8LPFEZW6F2D5mt6Ph994An9w0fgE0Qb1v99KIbFcGfq"
    "6gCXbarezAsf3q7S8nYroq5mwYCTcCxA0wfBy3BN/+nXfP4kr9B1Tqi9eVS+aP1WornZJh"
    "u68Emi95glYcd08MoMTNio1S75IV0AYmVBdigmvjHTlJc22UoA5P9a7SiHeS4s8w18Bnuz"
    "TsRfBLxad39WqOsb0LealyIOxVryG6R8n5Zm6ew14Rlb15Tr41UcuGdgq4B1sUNUagitTp"
    "3v4PbzZSxQ=="
)
