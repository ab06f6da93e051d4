"""minica: a local mock certification authority, PKCS#12 keystores and DIAN XAdES-EPES signing.

The pieces most programs need are re-exported lazily from their modules; see README.md.
"""

__version__ = "0.1.0"
