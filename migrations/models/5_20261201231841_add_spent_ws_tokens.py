from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


# Written by aerich for SQLite and again for PostgreSQL, merged by migrations/make.py
# (see docs/migrations.md).
SQL = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "spent_ws_tokens" (
    "jti" VARCHAR(64) NOT NULL PRIMARY KEY,
    "expires_at" TIMESTAMP NOT NULL
) /* A ws-token that opened a socket: the insert is the spend (server.spent_tokens). */;
CREATE INDEX IF NOT EXISTS "idx_spent_ws_to_expires_a61cf9" ON "spent_ws_tokens" ("expires_at");
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "spent_ws_tokens" (
    "jti" VARCHAR(64) NOT NULL PRIMARY KEY,
    "expires_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_spent_ws_to_expires_a61cf9" ON "spent_ws_tokens" ("expires_at");
COMMENT ON TABLE "spent_ws_tokens" IS 'A ws-token that opened a socket: the insert is the spend (server.spent_tokens).';
""",
}

DOWNGRADE_SQL = {
    "sqlite": """
DROP TABLE IF EXISTS "spent_ws_tokens";
""",
    "postgres": """
DROP TABLE IF EXISTS "spent_ws_tokens";
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
    "eJztXWtzm7oW/SsMn9qZnE7iPJrjb47jtNzj2BnHaTttzjAYZFs3GHxAzqPn5r9fiYcRD2"
    "EwNgGiL20stHksCbH22lvSv+LC1IBuf7qzgSW2hX9FQ1kA/Eeo/EAQleUyKCUFSJnoTsUV"
    "ruGUKBMbWYqKcOFU0W2AizRgqxZcImgauNRY6TopNFVcERqzoGhlwH9WQEbmDKC5cyO//s"
    "bF0NDAM7D9n8sHeQqBroXuE2rk2k65jF6WTplkoCunIrnaRFZNfbUwgsrLFzQ3jXVtaCBS"
    "OgMGsBQEyOmRtSK3T+7Oe0z/idw7Daq4t0jZaGCqrHREPe5EDspEWR4Mx/JtbyzLYg6AVN"
    "Mg4OJbtZ2nn5Fb+KN1dPL55Pz47OQcV3Fuc13y+dW9dACMa+jAMxiLr85xBSluDQfjAFSw"
    "UKAex7U7V6xkYNcGEWzxTUex9ZGsLrgL5VnWgTFDc4Lo6UkKlN86o+7XzugDrvWRXNLEL4"
    "D7Wgy8Qy33GME7wHep2PaTaWnyXLHneXCOGe4Gb78gADx4g98A8dNMiJ+mIH4aRXwKLRvJ"
    "zq8ccIetysNaFEtB+ujwMAPSuBYTaedYGGld2QLokBHHOQvOC3MC9VwgBxaNQ/i4lQHg4x"
    "YTX3IoDC+0ZRsp02kc4AvT1IFiMBgGZRZBeYLt9gXzumQPSKcgezEc9smZF7b9j+4USOMI"
    "xHfXFz3ctx3kcSWIAE1BQnhj7ggfE3r0JsADuxIR9xlJbQFXLUAgkRUUR/wSH0FwAZIhD1"
    "tGMNc800/+H3XkI/gBtaGhv3jtnNIgY+m6dzvuXN+EWuWyM+6RIy2n9CVS+uEsMg6tTyJ8"
    "l8ZfBfJT+Dkc9Bx4TRvNLOeKQb3xT5Hck7JCpmyYT7KiUSTZL/VReyW+0/SBIvqkYKKoD0"
    "8KZpKhI9Rn3JxBw054GT27q79GQFccZOOdwHMe++QcNWz/V7/H+6VBPwgAUnRgoYIAdcg5"
    "mgoQNB5NqIKCEEnuWZoKkr2arE9eEKlb6lRNhUszbFmdK8asaLcaARW70Z2VBrO8f97IWi"
    "uofptGUZB+4lM0tSfhXoTkBbBtpXBfunbP0tB+5LM9yzQXRV86fIqmouR2p8UEWPYcLncA"
    "1LVzsqa+fh5URV+8jBDVpUcRYm62TBZVjx9atBbREsXAY5HmXZtcKUTGE0I8a5bOjvEEzk"
    "B1gjxsnSsxylP/SMSuNC522McCU+xpzuX/IpgH74jZVsBX7A3dt7r4gJ8rD8R+/RKFWz/U"
    "VJJEfpZFIY8KJ5RAfhaFmOtbbOibpW/RrW6BR/Nhq1YPW+6g1Ss2pNWkkX1MMrUy7se2Sx"
    "Czf6uilvxztflzRXJ85FyZNpTF5nSbOgyZO8i4ienwYYDj6F6ZFoAz4y/w4oAs4TtSDDUp"
    "0hXJ1qoZuCx/CBdbytPaH6A7FX52/MTADW51O7fdzmVPfGUHNvbpWd0ugYG+22M8sCQ6WK"
    "HjB2l+lk1qyk82dpJw3WwOl9gRnuw/HAMBzRUkmPgkQBMUwTbVB4AwlHMgYPcNWEiAtvOL"
    "XEcTPuCiR2B9cq/qXvLjJzHSZPs4fwFXMKdvUsQnqbIzeJYlK+2MnZR2drLJGQTPS4g/2V"
    "swqbBlOfy5zJaoO5PKEQ/e57DpBj8Txst1VJQ9UAbB170KUr/oTw5xmsS/eSJymYnIEwy6"
    "Ok+knuwxP2TUwATZo9Z5FrGkdc5WS8ixMMVHEOXLJlwbNBDhVqaEzVZKwmYrnrBpA0yGIH"
    "pJBrlnrBYxlh8CnLavMuZif/i9LeB/7o3r3qV0d90W3P/vja/Sl69tgfx7b3RH0ljqdvpt"
    "wf8ryjyztFSWN4H9HsTeAnytKdSAB3/EG9NNhTGch80ijTMldtVpnl3QnMvh3UW/J9yMel"
    "3pVhoOwrzGOUiKgvTDUQ83bxhqDTtv6nYCbcS0gQpt3SlmWKxTEj7fqUm9vgnPoM6R0EtA"
    "20r3VrjoXYf3iAe02JyguQEtLr1z6Z1L7ywNyc8OT1CRqMRxto5E56iXpyThvoRWNteSyt"
    "WSlIW5MpCsAiNx2gacMRGOWjZpWP2z1To+/tw6PD47Pz35/Pn0/HCNe/xQWgNcSF9IG4S+"
    "kwmzzlaWhf1khgjCoC+UTYkJUHe3l+K+sA/H67OE69nR+pjO5I4uiQBnUJnW1pXWmG56g0"
    "tp8KUtkEgjhvreuOlIl/inArV7Y/itN7q867UF8xFY2gpsoyztPiMN34hMSHYyfWdIHZRN"
    "GnGvTtPsRF/CxDu2ZAbcxvWhzLh3y71b7t1Wy7ulpz/m83ITLJtEywqyYK4fcP2gXvoBa1"
    "TYAbQNnRgdhThhRKySVBNqhaQsyUgrpWRJRufMc+Wm2crNUldyJfn79avswb5x3uc7kws6"
    "3bH0rdcW3KWi7o3xSOr0Hf0Ag6/onoBwO5Yd1WBJVqPDnve90e0Mur1+77ItqOTxdaBVQ0"
    "pYWlAF20iZEcMmETyuZDZNyXThQvISWNDUyMJ6Vn51gHGOBuoENdEFsslB4WYDSdOlczU8"
    "SJxAzZu9Ys3OVcB3qAJyjYprVBUQUArkuPBVD990bSN3NT8xQVXyjhyk6UlkUUHLqVeGmk"
    "TW5fN6mXOvXEsqVUtyoInBmjLNyatfZXljS29tx3Nn8q75X/5y/6Uhu5ctLPAVETASiPEY"
    "PLPnJfkmjUA5jfP2foxDdNfH8sN158fHEOXtDwdf/OoU9t3+8CI6KRIl7ILDHIK92uUR0u"
    "Ozw8NKD8MhwdJMnvyYJlWajPmO2TCtWLbOriElq2vApImK7CGXMmneskdHx5l2WTlO2WXl"
    "ODZp9xFYdmIUmtltKYvyRoKjmvTZ1VLbUt8JWzZQ36mJnpNJxqN8nIxvDWXBBZ3Ngs5vb2"
    "X2goJOwxZ4P4gIOlSnqlImDL33AFOyWG9NkEW3kJV17dLEC8gXwylZuvDaOhe2IRs+siZQ"
    "EpISkm8N0cCiEU71XkWhCZjij1Ic3f/cDgfJ6AYWUZIHVST8T9ChXUPnLwVVAkW6chEVKS"
    "KMjZwgqlwoU5QU8mHDvjbgqBdAPbdbw92ZGrgzeMA3cwaoaRMuXsW/utxD5B5iHTzE2DCw"
    "A0wzplFUbATICik98oUwxTcgDO76/bdyu52unOBv+1083dFeb6dXnR2QuENd0KF+24h1hV"
    "YTb51mydzGtVLi1fHsbZ7L+Q5zOc0nI28yJ23Cqd1maufgVR4PqRq6WYkI3a22z+ekEgO3"
    "T+cMshAbgnWYF/vBh6IAZd2OuTYo7ZPO+rsOJzBaakNiNqmNbYC8W2L7S7S83X7x52Lu+k"
    "2qDsmMHBI5OhCCCrMVsJHskyuqUiz8RCx4+OmN2HK4mbJy5rBV87KOdr/Z2sTUEtLk2Eme"
    "fv1GBKPKzvAMRpscfTpk1Lwuvfs1BrgryIa+ua6g++HPGTehbXjgJGGV/4ACZU0BCSy4d7"
    "3Zu/ZZaUHneuST23qBm9W5pjpVhsDJ2gPgkZO0yAk99lUqdOJ05qRURd/FS/cySWfhsZNm"
    "eYO2vprl4cx+/cbFTnbPlvlEymBOT6aN+I5SNuI7im/E9wCTVpPJtt6Zb1tlrMWbu4u+1G"
    "0Ly9VEh+q9cTOSvmF/ABdY8BHf3r2Bmf3VVVvADzmdilu0y6633eP+4Tv0D/22m7zkc2hi"
    "dtxP3OjVBJhxGr6Bhse6V24qTvFkKr6yfXSMiufUbPTKFD9cgMUEWEVDrNjHuHZO1CSY9u"
    "3UeYgxXLsAzwwOnkw1475Cic46VtGwIPf7yvT7OFV7j1SNq858X44qIsp1/DJ1fL6MZBZI"
    "K7pVancO1AeYuPWGf2gD0XMqlbFEosskPQyd62LaYK4QoQ5O5phfBg2niDPAUhlgCPy8JD"
    "Bq3EAeWBPe52OSrtGF374tWzuw5pswVrm1QwNvxmEzZMOJ6WZiulirKgV5VOPkriiTCnWt"
    "KnEptmyWRTLbm1AWI1J8u7L3N630rQfP8MTSTPH7Vkr8vhWP33vvzxwu5WKblyWeqMqtEN"
    "vH7Go0/Nkb4JNb5m9g3Bu9HzfSiGxXBp6X0AJb7Va249h+/faXEzFdFXM2jIQbAeIGGN6N"
    "24Jv/8a7Z3Gl/h0q9eXryhXzxxq1lU7FsC0qgeZLnqAVx+0TAyhxs2aj1JtkBXSABdW5mO"
    "DaeEcO0lwbJajDU73rNOIdpPgzzDXw2S4NexH8SvHpbb2afWzvQl6qHAh71RuI7l5yvpmb"
    "57BXRGVvnpNvTdSqoZ0C7s4WRY0RqDJ1utf/A8rtBTA="
)
