"""Pure domain: the joint picture fold, the rules and their findings. No I/O."""
