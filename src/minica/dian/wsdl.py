"""The WSDL of the local DIAN, written here (facts from reference/dian-webservice.md), naming the
mock's own URL in ``soap12:address`` so that zeep, .NET and Java clients built from it call the mock.

Document/literal, SOAP 1.2, target namespace ``http://wcf.dian.colombia``, actions
``http://wcf.dian.colombia/IWcfDianCustomerServices/<Operation>``; results in WCF's data-contract
namespaces with fields in WCF's alphabetical order. The WS-Policy says what the service checks: an
X.509 token, a Timestamp, and a signature over the ``wsa:To`` header.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from minica.dian.soap import ARRAYS, DC, TNS, WSA, WSU, Operation

_S, _B64, _BOOL, _LONG = "xs:string", "xs:base64Binary", "xs:boolean", "xs:long"

#: Each operation's request parameters and its result type.
OPERATIONS: dict[Operation, tuple[tuple[tuple[str, str], ...], str]] = {
    Operation.SEND_BILL_SYNC: ((("fileName", _S), ("contentFile", _B64)), "dr:DianResponse"),
    Operation.SEND_BILL_ASYNC: ((("fileName", _S), ("contentFile", _B64)), "ud:UploadDocumentResponse"),
    Operation.SEND_TEST_SET_ASYNC: ((("fileName", _S), ("contentFile", _B64), ("testSetId", _S)),
                                    "ud:UploadDocumentResponse"),
    Operation.SEND_BILL_ATTACHMENT_ASYNC: ((("fileName", _S), ("contentFile", _B64)), "ud:UploadDocumentResponse"),
    Operation.SEND_EVENT_UPDATE_STATUS: ((("contentFile", _B64),), "dr:DianResponse"),
    Operation.SEND_NOMINA_SYNC: ((("contentFile", _B64),), "dr:DianResponse"),
    Operation.GET_STATUS: ((("trackId", _S),), "dr:DianResponse"),
    Operation.GET_STATUS_ZIP: ((("trackId", _S),), "dr:ArrayOfDianResponse"),
    Operation.GET_STATUS_EVENT: ((("trackId", _S),), "dr:DianResponse"),
    Operation.GET_NUMBERING_RANGE: ((("accountCode", _S), ("accountCodeT", _S), ("softwareCode", _S)),
                                    "nl:NumberRangeResponseList"),
    Operation.GET_XML_BY_DOCUMENT_KEY: ((("trackId", _S),), "er:EventResponse"),
    Operation.GET_EXCHANGE_EMAILS: ((), _S),
    Operation.GET_DOC_IDENTIFIER_WITH_EVENTS: ((("contributorCode", _S), ("dateNumber", _S)), _S),
    Operation.GET_REFERENCE_NOTES: ((("trackId", _S),), _S),
}

#: Data contracts: prefix → (namespace suffix, {type: ((field, type, nillable), …)}).
_CONTRACTS: dict[str, tuple[str, dict[str, tuple[tuple[str, str, bool], ...]]]] = {
    "dr": ("DianResponse", {
        "DianResponse": (("ErrorMessage", "ar:ArrayOfstring", True), ("IsValid", _BOOL, False),
                         ("StatusCode", _S, True), ("StatusDescription", _S, True), ("StatusMessage", _S, True),
                         ("XmlBase64Bytes", _B64, True), ("XmlBytes", _B64, True), ("XmlDocumentKey", _S, True),
                         ("XmlFileName", _S, True)),
    }),
    "ud": ("UploadDocumentResponse", {
        "UploadDocumentResponse": (("ErrorMessageList", "xp:ArrayOfXmlParamsResponseTrackId", True),
                                   ("ZipKey", _S, True)),
    }),
    "xp": ("XmlParamsResponseTrackId", {
        "XmlParamsResponseTrackId": (("DocumentKey", _S, True), ("ProcessedMessage", _S, True),
                                     ("SenderCode", _S, True), ("Success", _BOOL, False),
                                     ("XmlFileName", _S, True)),
    }),
    "nl": ("NumberRangeResponseList", {
        "NumberRangeResponseList": (("OperationCode", _S, True), ("OperationDescription", _S, True),
                                    ("ResponseList", "nr:ArrayOfNumberRangeResponse", True)),
    }),
    "nr": ("NumberRangeResponse", {
        "NumberRangeResponse": (("FromNumber", _LONG, False), ("Prefix", _S, True), ("ResolutionDate", _S, True),
                                ("ResolutionNumber", _S, True), ("TechnicalKey", _S, True),
                                ("ToNumber", _LONG, False), ("ValidDateFrom", _S, True), ("ValidDateTo", _S, True)),
    }),
    "er": ("EventResponse", {
        "EventResponse": (("Code", _S, True), ("Message", _S, True), ("ValidationDate", _S, True),
                          ("XmlBytesBase64", _S, True)),
    }),
}
#: Lists: prefix → (list type, item element, item type).
_ARRAYS = {"dr": ("ArrayOfDianResponse", "DianResponse", "dr:DianResponse"),
           "xp": ("ArrayOfXmlParamsResponseTrackId", "XmlParamsResponseTrackId", "xp:XmlParamsResponseTrackId"),
           "nr": ("ArrayOfNumberRangeResponse", "NumberRangeResponse", "nr:NumberRangeResponse")}
_PREFIXES = {prefix: DC + suffix for prefix, (suffix, _types) in _CONTRACTS.items()} | {"ar": ARRAYS}
_XMLNS = " ".join(f"xmlns:{p}={quoteattr(uri)}" for p, uri in _PREFIXES.items())


def _element(name: str, kind: str, nillable: bool = True) -> str:
    nil = ' nillable="true"' if nillable else ""
    return f'<xs:element minOccurs="0" name="{name}"{nil} type="{kind}"/>'


def _contract_schema(prefix: str) -> str:
    suffix, types = _CONTRACTS[prefix]
    imports = "".join(f'<xs:import namespace="{_PREFIXES[p]}"/>' for p in sorted(_PREFIXES)
                      if p != prefix and any(f"{p}:" in t for fields in types.values() for _, t, _n in fields))
    body = []
    for name, fields in types.items():
        inner = "".join(_element(f, t, n) for f, t, n in fields)
        body.append(f'<xs:complexType name="{name}"><xs:sequence>{inner}</xs:sequence></xs:complexType>'
                    f'<xs:element name="{name}" nillable="true" type="{prefix}:{name}"/>')
    if prefix in _ARRAYS:
        array, item, item_type = _ARRAYS[prefix]
        body.append(f'<xs:complexType name="{array}"><xs:sequence><xs:element minOccurs="0" maxOccurs="unbounded"'
                    f' name="{item}" nillable="true" type="{item_type}"/></xs:sequence></xs:complexType>'
                    f'<xs:element name="{array}" nillable="true" type="{prefix}:{array}"/>')
    return (f'<xs:schema elementFormDefault="qualified" targetNamespace="{DC + suffix}" {_XMLNS}>'
            f'{imports}{"".join(body)}</xs:schema>')


def _operations_schema() -> str:
    imports = "".join(f'<xs:import namespace="{uri}"/>' for p, uri in sorted(_PREFIXES.items()) if p != "ar")
    parts = []
    for operation, (parameters, result) in OPERATIONS.items():
        inner = "".join(_element(name, kind) for name, kind in parameters)
        parts.append(f'<xs:element name="{operation.value}"><xs:complexType><xs:sequence>{inner}'
                     f'</xs:sequence></xs:complexType></xs:element>')
        parts.append(f'<xs:element name="{operation.value}Response"><xs:complexType><xs:sequence>'
                     f'{_element(operation.value + "Result", result)}</xs:sequence></xs:complexType></xs:element>')
    return (f'<xs:schema elementFormDefault="qualified" targetNamespace="{TNS}" {_XMLNS}>'
            f'{imports}{"".join(parts)}</xs:schema>')


_ARRAYS_SCHEMA = (
    f'<xs:schema elementFormDefault="qualified" targetNamespace="{ARRAYS}" xmlns:ar="{ARRAYS}">'
    '<xs:complexType name="ArrayOfstring"><xs:sequence><xs:element minOccurs="0" maxOccurs="unbounded"'
    ' name="string" nillable="true" type="xs:string"/></xs:sequence></xs:complexType>'
    '<xs:element name="ArrayOfstring" nillable="true" type="ar:ArrayOfstring"/></xs:schema>'
)

_POLICY = (
    '<wsp:Policy wsu:Id="WSHttpBinding_IWcfDianCustomerServices_policy"><wsp:ExactlyOne><wsp:All>'
    '<sp:AsymmetricBinding><wsp:Policy>'
    '<sp:InitiatorToken><wsp:Policy><sp:X509Token sp:IncludeToken="http://schemas.xmlsoap.org/ws/2005/07/'
    'securitypolicy/IncludeToken/AlwaysToRecipient"><wsp:Policy><sp:WssX509V3Token10/></wsp:Policy>'
    '</sp:X509Token></wsp:Policy></sp:InitiatorToken>'
    '<sp:AlgorithmSuite><wsp:Policy><sp:Basic256Sha256/></wsp:Policy></sp:AlgorithmSuite>'
    '<sp:Layout><wsp:Policy><sp:Lax/></wsp:Policy></sp:Layout><sp:IncludeTimestamp/>'
    '<sp:OnlySignEntireHeadersAndBody/></wsp:Policy></sp:AsymmetricBinding>'
    '<wsaw:UsingAddressing/></wsp:All></wsp:ExactlyOne></wsp:Policy>'
    '<wsp:Policy wsu:Id="WSHttpBinding_IWcfDianCustomerServices_input_policy"><wsp:ExactlyOne><wsp:All>'
    f'<sp:SignedParts><sp:Header Name="To" Namespace="{WSA}"/></sp:SignedParts>'
    '</wsp:All></wsp:ExactlyOne></wsp:Policy>'
)


def wsdl_document(endpoint_url: str) -> bytes:
    """The WSDL, with ``endpoint_url`` (this environment's endpoint on this server) as the address."""
    messages, port_ops, binding_ops = [], [], []
    for operation in OPERATIONS:
        name = operation.value
        messages.append(f'<wsdl:message name="IWcfDianCustomerServices_{name}_InputMessage">'
                        f'<wsdl:part name="parameters" element="tns:{name}"/></wsdl:message>'
                        f'<wsdl:message name="IWcfDianCustomerServices_{name}_OutputMessage">'
                        f'<wsdl:part name="parameters" element="tns:{name}Response"/></wsdl:message>')
        port_ops.append(f'<wsdl:operation name="{name}">'
                        f'<wsdl:input wsaw:Action="{operation.action}" '
                        f'message="tns:IWcfDianCustomerServices_{name}_InputMessage"/>'
                        f'<wsdl:output wsaw:Action="{operation.reply_action}" '
                        f'message="tns:IWcfDianCustomerServices_{name}_OutputMessage"/></wsdl:operation>')
        binding_ops.append(f'<wsdl:operation name="{name}"><soap12:operation soapAction="{operation.action}"'
                           ' style="document"/><wsdl:input><wsp:PolicyReference'
                           ' URI="#WSHttpBinding_IWcfDianCustomerServices_input_policy"/>'
                           '<soap12:body use="literal"/></wsdl:input>'
                           '<wsdl:output><soap12:body use="literal"/></wsdl:output></wsdl:operation>')
    schemas = _operations_schema() + "".join(_contract_schema(p) for p in _CONTRACTS) + _ARRAYS_SCHEMA
    text = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<wsdl:definitions name="WcfDianCustomerServices" targetNamespace="http://wcf.dian.colombia"'
        ' xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"'
        ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="http://wcf.dian.colombia"'
        ' xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl"'
        ' xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"'
        ' xmlns:sp="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"'
        f' xmlns:wsu="{WSU}">'
        '<wsdl:documentation>minica: a LOCAL MOCK of DIAN\'s WcfDianCustomerServices, for development and'
        ' tests. Not DIAN.</wsdl:documentation>'
        f'{_POLICY}<wsdl:types>{schemas}</wsdl:types>{"".join(messages)}'
        f'<wsdl:portType name="IWcfDianCustomerServices">{"".join(port_ops)}</wsdl:portType>'
        '<wsdl:binding name="WSHttpBinding_IWcfDianCustomerServices" type="tns:IWcfDianCustomerServices">'
        '<wsp:PolicyReference URI="#WSHttpBinding_IWcfDianCustomerServices_policy"/>'
        '<soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>'
        f'{"".join(binding_ops)}</wsdl:binding>'
        '<wsdl:service name="WcfDianCustomerServices">'
        '<wsdl:port name="WSHttpBinding_IWcfDianCustomerServices"'
        ' binding="tns:WSHttpBinding_IWcfDianCustomerServices">'
        f'<soap12:address location={quoteattr(endpoint_url)}/>'
        '</wsdl:port></wsdl:service></wsdl:definitions>'
    )
    return text.encode("utf-8")
