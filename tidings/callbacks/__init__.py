"""Callbacks: one outbox for every callback kind (:mod:`.outbox`), its delivery
service (:mod:`.delivery`), URL rules (:mod:`.urls`) and signatures
(:mod:`.signing`).  See docs/callbacks.md."""
