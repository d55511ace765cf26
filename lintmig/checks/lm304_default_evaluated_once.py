from .base import Hit, at_scale, check, name


@check("LM304")
def default_evaluated_once(op, facts):
    func = op.args.get("default_once")
    if not func or not at_scale(op, facts):
        return
    yield Hit(op, f"Django calls {func} once and writes that one value into {op.args.get('column')} of every "
                  f"existing row of {name(op)}: a unique column fails, any other silently shares one value")
