"""The kiosk: the page where citizens take a ticket (``kiosk.web``) and the print agent
beside a kiosk's printer (``kiosk.agent``). The agent runs on the kiosk PC and imports
nothing from the server, so this package's top level imports nothing either."""
