#!/bin/bash
# Runs peers_test.py with Debian's interpreter (the one that has pymodbus).
exec /usr/bin/python3 "${TEST_SRCDIR}/ews/tests/modbus/peers_test.py" "$@"
