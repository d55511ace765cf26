from .base import Hit, check


@check("LM005")
def edited_applied_migration(op, facts):
    if facts.migration.existed_at_base and facts.change.is_added(op):
        yield Hit(op, f"{op.kind.replace('_', ' ')} added to a migration that already exists at the base: "
                      "databases that applied it will never run it")
