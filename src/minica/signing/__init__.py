"""Signing and verifying UBL documents with DIAN's XAdES-EPES profile."""
