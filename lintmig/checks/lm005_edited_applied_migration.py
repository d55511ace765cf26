from .base import Hit, check, doing


@check("LM005")
def edited_applied_migration(op, facts):
    # Boot-time code (SQL embedded in Go/TS/Rust) runs at every start: adding a block to it is
    # how such a project adds a migration.
    if facts.migration.host == "embedded":
        return
    if facts.migration.existed_at_base and facts.change.is_added(op):
        yield Hit(op, f"{doing(op)} added to a migration that already exists at the base: "
                      "databases that applied it will never run it")
