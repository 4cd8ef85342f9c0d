"""Norce import jobs, whoever started them (the write-back, the scheduled imports, another integration):
their records, their completion (told by JobCompletedEvent or found by ``Job/Get``) and the follower that
polls the open ones. Events and imports both use this room; neither imports the other."""
