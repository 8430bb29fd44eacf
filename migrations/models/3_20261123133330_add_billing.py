from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


# Written by aerich for SQLite and again for PostgreSQL, merged by migrations/make.py
# (see docs/migrations.md).
SQL = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "subscriptions" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "plan" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL /* ACTIVE: active
TRIALING: trialing
PAST_DUE: past_due
CANCELED: canceled */,
    "price_cents" BIGINT NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "current_period_start" TIMESTAMP NOT NULL,
    "current_period_end" TIMESTAMP NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_subscriptio_user_id_cb1c62" ON "subscriptions" ("user_id", "status");
CREATE TABLE IF NOT EXISTS "invoices" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "amount_cents" BIGINT NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "status" VARCHAR(16) NOT NULL /* PENDING: pending
PAID: paid
OVERDUE: overdue */,
    "due_date" DATE NOT NULL,
    "paid_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "subscription_id" INT NOT NULL REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_invoices_user_id_5315ba" ON "invoices" ("user_id", "status");
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "subscriptions" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "plan" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "price_cents" BIGINT NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "current_period_start" TIMESTAMPTZ NOT NULL,
    "current_period_end" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_subscriptio_user_id_cb1c62" ON "subscriptions" ("user_id", "status");
COMMENT ON COLUMN "subscriptions"."status" IS 'ACTIVE: active
TRIALING: trialing
PAST_DUE: past_due
CANCELED: canceled';
CREATE TABLE IF NOT EXISTS "invoices" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "amount_cents" BIGINT NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "due_date" DATE NOT NULL,
    "paid_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "subscription_id" INT NOT NULL REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_invoices_user_id_5315ba" ON "invoices" ("user_id", "status");
COMMENT ON COLUMN "invoices"."status" IS 'PENDING: pending
PAID: paid
OVERDUE: overdue';
""",
}

DOWNGRADE_SQL = {
    "sqlite": """
DROP TABLE IF EXISTS "invoices";
DROP TABLE IF EXISTS "subscriptions";
""",
    "postgres": """
DROP TABLE IF EXISTS "invoices";
DROP TABLE IF EXISTS "subscriptions";
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
    "eJztXW1zm7gW/isMn7oz3Z3WiZOsvzk2abnr2BnH6XZa7zAyyLZusPDykjZ3b/77SmAMAm"
    "SDXwgm+tLGQoeX50jiOQ+Hwz/ywjKg6fz24EBbbkn/yBgsIPmDaX8vyWC5jFppgwsmpt/R"
    "Iz38FjBxXBvoLmmcAtOBpMmAjm6jpYssTFqxZ5q00dJJR4RnUZOH0d8e1FxrBt25fyLf/y"
    "LNCBvwJ3TCn8tHbYqgaTDniQx6bL9dc5+XfpuK3Ru/Iz3aRNMt01vgqPPy2Z1beN0bYZe2"
    "ziCGNnAh3b1re/T06dmtLjO8ouBMoy7BKcZsDDgFnunGLneiRW2ypvUHI+1eGWmaXAAg3c"
    "IUXHKqjn/1M3oKvzY+nl+eX51dnF+RLv5prlsuX4JDR8AEhj48/ZH84m8HLgh6+BhHoMIF"
    "QGYa184c2NnArg0S2JKTTmIbIlldcBfgp2ZCPHPnFNHm+QYov7SHnc/t4TvS6xd6SItMgG"
    "Ba9FebGsE2ineE7xI4zg/LNrQ5cOZFcE4ZHgbvsCECPJrBr4B4MxfizQ2IN5OIT5HtuJr/"
    "qwDcrFV5WMtyKUh//PAhB9KkFxdpfxuLtAl2AJoxEjjnwXlhTZBZCOTIonYInzVyAHzW4O"
    "JLN7HwIkdzXDCdpgG+tiwTAsxhGDGzBMoTYncsmNctR0B6A7LXg0GP7nnhOH+bfoM6SkD8"
    "cHutkLHtI086IRfGKQiDN+GO6CljRG8DPLIrEfGQkZws4LoNKSQacNOId8kWFy1gNuSsZQ"
    "JzY2X6W/jHKfIRcoHGAJvPKz9vcMhIvVXuR+3bO8Yr3fZIoVsafutzovXdRWIdWu9E+lMd"
    "fZboT+nboK/48FqOO7P9I0b9Rt9kek7Acy0NWz80YMRIctgaovZCY6fpY4zo04YJ0B9/AM"
    "IkmS2x27g1Q9jJmIwru5s/htAEPrLpQbAKHnt0Hyfo/5dwxIet0TiIAAImtN09AWrTfdQV"
    "IISfLKTDPSFSg73UFSTHm6x3vidS97Fd1RUufQ5cbQEdB8z2HVi3wV5yILVaV08LqNU92r"
    "asxZ5ADcku6opSMJwWE2g7c7Q8AFC3/s7qOv1WUO078XJCdCojitIpq2HxCFZ606KxSLYA"
    "TNYiY3VseiSGQmUI82tuxVfmIwpXHWmer05kavOnrx8fSpngi/U2nJL4YK7910VF8E6Y7Q"
    "R8xWbosTWhR3JdRSAO+5cot4UPCEoSNi/y6JrJcDcma14kIRaqBB/6eqkSca/b8Ml63Mnr"
    "rOUBvF6xJe1EnBxiksvLZBw7AUHMf69KWorb1fbbFc3M0ArlR8QstidJnMKSeYA8iZR6yg"
    "KcRvfGsiGa4T/gsw+ySs4IYD3r+UQix+bEwOXFQ6TZBj/W8UB8UJFrJ1cMg0cSnfZ9p91V"
    "5Be+HH3MyCrQXjMiq7Uoy4+sIu33qJHV9zh29O4v/yXyoMrMg5oQ0PV55hrKv1kxRjXMz/"
    "nYuMrD+htXfNpPt7H3Khe5xZIZ1gY1RLiRK1+ksSFfpJHOF3HgE7SR+5wNsoK9Rep2xQAe"
    "t68y5nJv8GdLIv+M8a3SVR9uW1Lw/xh/Vj99bkn03zHuDNWR2mn3WlL4l7yDp/LMBP48SM"
    "0CcqwpMuAK/gStMC3AWc5Zs4RzptSuOu45ROTTHTxc9xTpbqh01Ht10GdDHX8jbYqyH4YK"
    "cS8LtUFYiL6b0pAwraHUUK+oE2TcvjfmFIUmIoGrQD4RBW0nAQcI9eYU5pFQZvmcoL7KrN"
    "CQhIYkNCSehhQmp2WoSLG8Nb6OFE+RK09JImPJ9RyhJZWrJYGF5WFX0yHOzBpFMy7CScs6"
    "Lau/NxpnZ5eND2cXV83zy8vm1Yc17ulNmxxwrX6iPmDukxlJ755tkziZI4Jw6EvMpsQn+Q"
    "/3XflY2LMPnvI8d+I/dkrpTMHqkglwDpVpbV1pjelO6XfV/qeWtITYIFCP8V1b7ZKfABlj"
    "PPiiDLsPSkuynqBteHAXZenwqRXkRDRKsrPpO0fqiNlsIu7Vcc1B9CVCvFNv7KJdQp+YmY"
    "huRXQrottqRbfxty+KRbkZlnWiZXuyYKEfCP3gtPQD3qpwAGhr+l5WEuKMFbFKUg3jhQy9"
    "JuklvmiTemVPKDf1Vm6WJiiUrRr2r3IEu6NWcJGnGNIFvxbSRaoU0puQC9qdkfpFaUlBpY"
    "oxHg3Vds/XDwj4wFwJCPcjzVcNlrQYDom8x7jT7neUntJtSTq9fBMa1ZASljbS4S5SZsKw"
    "TgRPKJl1UzIDuFxtCW1kGbSuj11cHeDso4Y6wYnoAvnkINZtMOu9v0KOh5lvAgq3V8ztQg"
    "V8gyqg0KiERlUBAWWPHBdRdOlVi3SEpYQyZKVYlSG+opSqanRYRem7bK9K+JBlcG75c0g3"
    "EWUnZLiRK4s6zDwYK8Qa65RSpajFarQi8V5ayYoU66a84R9rJd6g3v4G9cQyMgLsEfzJGb"
    "9h/yqLUQch9srXEUPuQhDf3ba//sIQvN6g/ynsHgO90xtcJ8Pt9WpTYEwzRvUb0ofXW0WI"
    "w4e+viFOcOMvFuQwNjuFOVWbWgfObYhRoJyQxixE3Lg9bgxZ6Z5xY84CllUDN2/cGBtU23"
    "MbogignGC8YktAXkyZtY9BlZyB1H/o9V4rj8EfzBmBZjjIt0SZ63qw1SkJKaLBPaNBx/Rm"
    "RThz2L92tTYPz5aLhtjlf8KmNHCP8hEbfkXN7bkf5VfX3CHz4+7huqd2WtLSm5hIH+O7of"
    "qFxAOkwUZP5PTGmDD7m5uWtP5qzGuXIBHx4RuMD0PfTZ6LBTQpOxEnbo1qIswEDd9Cw1PD"
    "qzAVj9euL/erEVVbvbhPxg5e4L+e30E4dlC3QowT2kV45gjwtJgbj/Uo0X+mn3wsKOK+Mu"
    "M+QdXeIlUTqrN4R7GKiAodv0wdX6TUnXDZqM4c6o/Zn3UKN20hen6nMl4+DJjkCkP/uIQ2"
    "WJ5LqYOfORa2Iew3CQZYKgNkwC9KApPGNeSBJ8L78r2cwM6+Hb0dWYuCNFX2NrPw5lw2GR"
    "tBTLcT08VaVdmTR9VO7koyKWZoVYlL8WWzPJLZ0YSyFJESpRtegyCJ5/fH/ahI9O1kbb9C"
    "Dpk7qrIXUjUdboaDb0qf7Ny2/gfxGCtf79QhLd0Afy6RvVvlhgM/2z+9WhsyoatyQceoxA"
    "mIOGDwMGpJof0rVxIQSv0bVOrL15UrFo/V6rXiimG7rwRaLHkirjjunhgQEzdPbJV6layA"
    "NrSRPpczQpvVlvcbv1EZ9RGp3qe04r3fEM88EY6cWZWSH9LETKrMp3eNaprNPFFNs8mPau"
    "g2lq7RSVUA4VX3GqJ7lJxvckQX4gwm/J/7QZ/DgiOTJAVGuiv9XzKRc4ry5gZwKRgMz029"
    "Yp18mzpBYOkOrrMIVJk63cu/sVrYZg=="
)
