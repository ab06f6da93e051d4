"""The certificate request process of DIAN's and the vendors' guides (see ``process``).

Modules: ``form`` (the form and its rules), ``divipola`` (DANE's places), ``escrow`` (sealing the
keystore password), ``platform`` (users, sections, documents), ``process`` (the state machine),
``reminders`` (day 3/7/13 and day-15 expiry), ``vendor`` (payment and the loaned certificate),
``mail``/``outbox`` (RFC 5322 notices, the outbox folder, SMTP), ``pdf``, ``view``.
"""
