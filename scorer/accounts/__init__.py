"""The scorer's own record of people and what they did: accounts and roles, login sessions
(:mod:`.auth`), and the hash-chained audit trail (:mod:`.audit`), in the store's database
(:mod:`.db`). The console, the competition's marking, the fleet and the command-line tools
all write here; this package imports none of them."""
