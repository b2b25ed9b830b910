"""A plugin module that never finishes importing: it waits for a service that never comes."""

import time

while True:
    time.sleep(1)
