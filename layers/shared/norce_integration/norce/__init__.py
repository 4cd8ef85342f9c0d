"""Norce Commerce Connect: the messages we send back to Norce and the ``NorceConnect`` port."""
