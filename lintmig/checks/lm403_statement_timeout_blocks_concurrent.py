from .base import Hit, check

# A concurrent build waits for every older transaction: a lock_timeout ends that wait, a
# statement_timeout the whole build; either leaves an INVALID index behind.
_KILLS = {"statement_timeout": "will cancel this concurrent build",
          "lock_timeout": "ends this concurrent build's wait for older transactions"}


@check("LM403")
def statement_timeout_blocks_concurrent(op, facts):
    if not op.args.get("concurrently"):
        return
    for setting, effect in _KILLS.items():
        value, scope = facts.settings(op).get(setting, (None, None))
        if value is None or scope == "local":
            continue
        origin = "a lock_timeout the role sets (assume_lock_timeout)" if scope == "assumed" else \
            f"a session {setting} of {value}"
        yield Hit(op, f"{origin} is in force and {effect}, leaving an INVALID index: SET {setting} = 0 before it")
