"""Order intake: read, validate and durably accept Norce OrderRequests exactly once."""
