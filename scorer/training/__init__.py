"""Training mode: trainee groups with a time limit and a target, practice attempts on a real or
simulated bench with their measurements and time taken, progress per trainee and per group;
assessment (certification) sessions on the same marking engine (:mod:`.assessment`)."""
