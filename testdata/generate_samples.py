# ruff: noqa: E501  (the XML templates keep DIAN's long lines as they are)
"""Writes minica's own sample DIAN documents (fictional data) into ``testdata/``.

The committed samples are this script's output; run ``python testdata/generate_samples.py`` to
reproduce them byte for byte. ``invoice_xml(lines=N)`` is also what ``benchmarks/bench_sign.py``
uses to make small, medium and large invoices.

Codes (CUFE, CUDE, CUNE, SoftwareSecurityCode) follow ``shared/reference/dian-xades-profile.md``
§10 so that checks reading them see consistent documents. All parties are fictional; NITs carry
their correct check digit.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent

SUPPLIER = ("900373987", "9", "MINICA PRUEBAS S.A.S.")
CUSTOMER = ("860001022", "7", "Café Ñandú Bogotá Ltda.")
PROVIDER = ("830095213", "0")
SOFTWARE_ID = "5e1b7c1a-3f0e-4c59-9c5e-6f2d7a9b1c30"
SOFTWARE_PIN = "12345"
TECHNICAL_KEY = "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"
DIAN_NAME = "CO, DIAN (Dirección de Impuestos y Aduanas Nacionales)"
QR_BASE = {
    "1": "https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=",
    "2": "https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=",
}
UBL_NS = (
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
    'xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2" '
    'xmlns:sts="dian:gov:co:facturaelectronica:Structures-2-1"'
)
SIG_NS = (
    'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
    'xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" '
    'xmlns:xades141="http://uri.etsi.org/01903/v1.4.1#"'
)
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

PRODUCTS = [
    ("Café de origen Huila, bolsa 500 g", "18500.00"),
    ("Arepas de maíz peladas x 10 — tradición antioqueña", "7200.00"),
    ("Panela orgánica en bloque, Cundinamarca", "4300.00"),
    ("Servicio de consultoría en facturación electrónica (hora)", "145000.00"),
    ("Bocadillo veleño con queso, caja x 24", "21900.00"),
]


def sha384(text: str) -> str:
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _scheme(dv: str) -> str:
    return f'schemeAgencyID="195" schemeAgencyName="{DIAN_NAME}" schemeID="{dv}" schemeName="31"'


def _party(tag: str, nit: str, dv: str, name: str, city: str, line: str) -> str:
    return f"""	<cac:{tag}>
		<cbc:AdditionalAccountID>1</cbc:AdditionalAccountID>
		<cac:Party>
			<cac:PartyName>
				<cbc:Name>{name}</cbc:Name>
			</cac:PartyName>
			<cac:PhysicalLocation>
				<cac:Address>
					<cbc:ID>11001</cbc:ID>
					<cbc:CityName>{city}</cbc:CityName>
					<cbc:CountrySubentity>Bogotá</cbc:CountrySubentity>
					<cbc:CountrySubentityCode>11</cbc:CountrySubentityCode>
					<cac:AddressLine>
						<cbc:Line>{line}</cbc:Line>
					</cac:AddressLine>
					<cac:Country>
						<cbc:IdentificationCode>CO</cbc:IdentificationCode>
						<cbc:Name languageID="es">Colombia</cbc:Name>
					</cac:Country>
				</cac:Address>
			</cac:PhysicalLocation>
			<cac:PartyTaxScheme>
				<cbc:RegistrationName>{name}</cbc:RegistrationName>
				<cbc:CompanyID {_scheme(dv)}>{nit}</cbc:CompanyID>
				<cbc:TaxLevelCode listName="48">O-13</cbc:TaxLevelCode>
				<cac:TaxScheme>
					<cbc:ID>01</cbc:ID>
					<cbc:Name>IVA</cbc:Name>
				</cac:TaxScheme>
			</cac:PartyTaxScheme>
			<cac:PartyLegalEntity>
				<cbc:RegistrationName>{name}</cbc:RegistrationName>
				<cbc:CompanyID {_scheme(dv)}>{nit}</cbc:CompanyID>
			</cac:PartyLegalEntity>
			<cac:Contact>
				<cbc:Telephone>6015550100</cbc:Telephone>
				<cbc:ElectronicMail>facturacion@minica.example</cbc:ElectronicMail>
			</cac:Contact>
		</cac:Party>
	</cac:{tag}>
"""


def _tax(amount: str, base: str, indent: str) -> str:
    return f"""{indent}<cac:TaxTotal>
{indent}	<cbc:TaxAmount currencyID="COP">{amount}</cbc:TaxAmount>
{indent}	<cac:TaxSubtotal>
{indent}		<cbc:TaxableAmount currencyID="COP">{base}</cbc:TaxableAmount>
{indent}		<cbc:TaxAmount currencyID="COP">{amount}</cbc:TaxAmount>
{indent}		<cac:TaxCategory>
{indent}			<cbc:Percent>19.00</cbc:Percent>
{indent}			<cac:TaxScheme>
{indent}				<cbc:ID>01</cbc:ID>
{indent}				<cbc:Name>IVA</cbc:Name>
{indent}			</cac:TaxScheme>
{indent}		</cac:TaxCategory>
{indent}	</cac:TaxSubtotal>
{indent}</cac:TaxTotal>
"""


def _line(root: str, index: int) -> tuple[str, Decimal]:
    name, price = PRODUCTS[index % len(PRODUCTS)]
    quantity = Decimal(1 + index % 7)
    amount = Decimal(price) * quantity
    qty_tag = {"Invoice": "InvoicedQuantity", "CreditNote": "CreditedQuantity"}.get(
        root, "DebitedQuantity"
    )
    line_tag = {"Invoice": "InvoiceLine", "CreditNote": "CreditNoteLine"}.get(root, "DebitNoteLine")
    tax = money(amount * Decimal("0.19"))
    text = f"""	<cac:{line_tag}>
		<cbc:ID>{index + 1}</cbc:ID>
		<cbc:Note>Línea {index + 1}: entrega en Bogotá D.C., bodega principal</cbc:Note>
		<cbc:{qty_tag} unitCode="94">{quantity}.000000</cbc:{qty_tag}>
		<cbc:LineExtensionAmount currencyID="COP">{money(amount)}</cbc:LineExtensionAmount>
		<cbc:FreeOfChargeIndicator>false</cbc:FreeOfChargeIndicator>
		<cac:InvoicePeriod>
			<cbc:StartDate>2026-11-01</cbc:StartDate>
			<cbc:DescriptionCode>1</cbc:DescriptionCode>
			<cbc:Description>Por operación</cbc:Description>
		</cac:InvoicePeriod>
		<cac:AllowanceCharge>
			<cbc:ID>1</cbc:ID>
			<cbc:ChargeIndicator>false</cbc:ChargeIndicator>
			<cbc:AllowanceChargeReasonCode>11</cbc:AllowanceChargeReasonCode>
			<cbc:AllowanceChargeReason>Descuento comercial por volumen (0 %)</cbc:AllowanceChargeReason>
			<cbc:MultiplierFactorNumeric>0.00</cbc:MultiplierFactorNumeric>
			<cbc:Amount currencyID="COP">0.00</cbc:Amount>
			<cbc:BaseAmount currencyID="COP">{money(amount)}</cbc:BaseAmount>
		</cac:AllowanceCharge>
{_tax(tax, money(amount), chr(9) * 2)}		<cac:Item>
			<cbc:Description>{name}</cbc:Description>
			<cbc:PackSizeNumeric>1</cbc:PackSizeNumeric>
			<cbc:BrandName>Minica Pruebas</cbc:BrandName>
			<cbc:ModelName>Referencia {index % len(PRODUCTS) + 1}</cbc:ModelName>
			<cac:SellersItemIdentification>
				<cbc:ID>MNC-{index % len(PRODUCTS) + 1:04d}</cbc:ID>
			</cac:SellersItemIdentification>
			<cac:StandardItemIdentification>
				<cbc:ID schemeAgencyID="10" schemeID="001" schemeName="UNSPSC">50201706</cbc:ID>
			</cac:StandardItemIdentification>
			<cac:AdditionalItemProperty>
				<cbc:Name>Origen</cbc:Name>
				<cbc:Value>Colombia — producción nacional</cbc:Value>
			</cac:AdditionalItemProperty>
		</cac:Item>
		<cac:Price>
			<cbc:PriceAmount currencyID="COP">{price}</cbc:PriceAmount>
			<cbc:BaseQuantity unitCode="94">1.000000</cbc:BaseQuantity>
		</cac:Price>
	</cac:{line_tag}>
"""
    return text, amount


def _dian_extensions(number: str, env: str, code: str, invoice: bool) -> str:
    control = (
        """				<sts:InvoiceControl>
					<sts:InvoiceAuthorization>18760000001</sts:InvoiceAuthorization>
					<sts:AuthorizationPeriod>
						<cbc:StartDate>2026-01-01</cbc:StartDate>
						<cbc:EndDate>2027-12-31</cbc:EndDate>
					</sts:AuthorizationPeriod>
					<sts:AuthorizedInvoices>
						<sts:Prefix>SETT</sts:Prefix>
						<sts:From>1</sts:From>
						<sts:To>5000000</sts:To>
					</sts:AuthorizedInvoices>
				</sts:InvoiceControl>
"""
        if invoice
        else ""
    )
    return f"""		<ext:UBLExtension>
			<ext:ExtensionContent>
				<sts:DianExtensions>
{control}					<sts:InvoiceSource>
						<cbc:IdentificationCode listAgencyID="6" listAgencyName="United Nations Economic Commission for Europe" listSchemeURI="urn:oasis:names:specification:ubl:codelist:gc:CountryIdentificationCode-2.1">CO</cbc:IdentificationCode>
					</sts:InvoiceSource>
					<sts:SoftwareProvider>
						<sts:ProviderID {_scheme(PROVIDER[1])}>{PROVIDER[0]}</sts:ProviderID>
						<sts:SoftwareID schemeAgencyID="195" schemeAgencyName="{DIAN_NAME}">{SOFTWARE_ID}</sts:SoftwareID>
					</sts:SoftwareProvider>
					<sts:SoftwareSecurityCode schemeAgencyID="195" schemeAgencyName="{DIAN_NAME}">{sha384(SOFTWARE_ID + SOFTWARE_PIN + number)}</sts:SoftwareSecurityCode>
					<sts:AuthorizationProvider>
						<sts:AuthorizationProviderID {_scheme("4")}>800197268</sts:AuthorizationProviderID>
					</sts:AuthorizationProvider>
					<sts:QRCode>{QR_BASE[env]}{code}</sts:QRCode>
				</sts:DianExtensions>
			</ext:ExtensionContent>
		</ext:UBLExtension>
"""


def invoice_xml(
    lines: int = 2,
    *,
    root: str = "Invoice",
    env: str = "2",
    number: str = "SETT1001",
    extra_extension: str = "",
    declare_signature_ns: bool = True,
    note: str = "Facturación electrónica — Café, Ñandú, Bogotá D.C.",
) -> str:
    """An Invoice, CreditNote or DebitNote with ``lines`` lines, as text (LF line endings)."""
    issue_date, issue_time = "2026-11-22", "10:15:30-05:00"
    body, total = [], Decimal(0)
    for i in range(lines):
        text, amount = _line(root, i)
        body.append(text)
        total += amount
    tax = total * Decimal("0.19")
    payable = total + tax
    values = f"{money(total)}01{money(tax)}040.00030.00{money(payable)}"
    key_tail = TECHNICAL_KEY if root == "Invoice" else SOFTWARE_PIN
    code = sha384(
        f"{number}{issue_date}{issue_time}{values}{SUPPLIER[0]}{CUSTOMER[0]}{key_tail}{env}"
    )
    scheme = "CUFE-SHA384" if root == "Invoice" else "CUDE-SHA384"
    type_line = {
        "Invoice": "	<cbc:InvoiceTypeCode>01</cbc:InvoiceTypeCode>\n",
        "CreditNote": "	<cbc:CreditNoteTypeCode>91</cbc:CreditNoteTypeCode>\n",
        "DebitNote": "",
    }[root]
    reference = (
        ""
        if root == "Invoice"
        else f"""	<cac:DiscrepancyResponse>
		<cbc:ReferenceID>SETT1001</cbc:ReferenceID>
		<cbc:ResponseCode>{"2" if root == "CreditNote" else "3"}</cbc:ResponseCode>
		<cbc:Description>Ajuste por cambio de precio pactado con el cliente</cbc:Description>
	</cac:DiscrepancyResponse>
	<cac:BillingReference>
		<cac:InvoiceDocumentReference>
			<cbc:ID>SETT1001</cbc:ID>
			<cbc:UUID schemeName="CUFE-SHA384">{sha384("SETT1001")}</cbc:UUID>
			<cbc:IssueDate>2026-11-20</cbc:IssueDate>
		</cac:InvoiceDocumentReference>
	</cac:BillingReference>
"""
    )
    totals = "RequestedMonetaryTotal" if root == "DebitNote" else "LegalMonetaryTotal"
    profile = {
        "Invoice": "DIAN 2.1: Factura Electrónica de Venta",
        "CreditNote": "DIAN 2.1: Nota Crédito de Factura Electrónica de Venta",
        "DebitNote": "DIAN 2.1: Nota Débito de Factura Electrónica de Venta",
    }[root]
    sig_ns = f" {SIG_NS}" if declare_signature_ns else ""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" {UBL_NS}{sig_ns} {XSI}>
	<ext:UBLExtensions>
{_dian_extensions(number, env, code, root == "Invoice")}{extra_extension}	</ext:UBLExtensions>
	<cbc:UBLVersionID>UBL 2.1</cbc:UBLVersionID>
	<cbc:CustomizationID>{"10" if root == "Invoice" else "20"}</cbc:CustomizationID>
	<cbc:ProfileID>{profile}</cbc:ProfileID>
	<cbc:ProfileExecutionID>{env}</cbc:ProfileExecutionID>
	<cbc:ID>{number}</cbc:ID>
	<cbc:UUID schemeID="{env}" schemeName="{scheme}">{code}</cbc:UUID>
	<cbc:IssueDate>{issue_date}</cbc:IssueDate>
	<cbc:IssueTime>{issue_time}</cbc:IssueTime>
{type_line}	<cbc:Note>{note}</cbc:Note>
	<cbc:DocumentCurrencyCode>COP</cbc:DocumentCurrencyCode>
	<cbc:LineCountNumeric>{lines}</cbc:LineCountNumeric>
{reference}{_party("AccountingSupplierParty", *SUPPLIER, "Bogotá, D.C.", "Calle 26 # 69-76, Torre Ñandú")}{_party("AccountingCustomerParty", *CUSTOMER, "Bogotá, D.C.", "Carrera 7 # 71-21, Café")}	<cac:PaymentMeans>
		<cbc:ID>1</cbc:ID>
		<cbc:PaymentMeansCode>10</cbc:PaymentMeansCode>
		<cbc:PaymentDueDate>2026-12-22</cbc:PaymentDueDate>
	</cac:PaymentMeans>
{_tax(money(tax), money(total), chr(9))}	<cac:{totals}>
		<cbc:LineExtensionAmount currencyID="COP">{money(total)}</cbc:LineExtensionAmount>
		<cbc:TaxExclusiveAmount currencyID="COP">{money(total)}</cbc:TaxExclusiveAmount>
		<cbc:TaxInclusiveAmount currencyID="COP">{money(payable)}</cbc:TaxInclusiveAmount>
		<cbc:PayableAmount currencyID="COP">{money(payable)}</cbc:PayableAmount>
	</cac:{totals}>
{"".join(body)}</{root}>
"""


def application_response_xml() -> str:
    """RADIAN event 030 (acuse de recibo) from the buyer; ds/xades not declared on the root."""
    number, date, time = "AR0001", "2026-11-22", "11:02:10-05:00"
    cude = sha384(
        f"{number}{date}{time}{CUSTOMER[0]}{SUPPLIER[0]}030SETT100101{SOFTWARE_PIN}"
    )
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" {UBL_NS} {XSI}>
	<ext:UBLExtensions>
{_dian_extensions(number, "2", cude, False)}	</ext:UBLExtensions>
	<cbc:UBLVersionID>UBL 2.1</cbc:UBLVersionID>
	<cbc:CustomizationID>1</cbc:CustomizationID>
	<cbc:ProfileID>DIAN 2.1: ApplicationResponse de la Factura Electrónica de Venta</cbc:ProfileID>
	<cbc:ProfileExecutionID>2</cbc:ProfileExecutionID>
	<cbc:ID>{number}</cbc:ID>
	<cbc:UUID schemeID="2" schemeName="CUDE-SHA384">{cude}</cbc:UUID>
	<cbc:IssueDate>{date}</cbc:IssueDate>
	<cbc:IssueTime>{time}</cbc:IssueTime>
	<cbc:Note>Acuse de recibo de la factura SETT1001 — recibida en la sede de Medellín</cbc:Note>
	<cac:SenderParty>
		<cac:PartyTaxScheme>
			<cbc:RegistrationName>{CUSTOMER[2]}</cbc:RegistrationName>
			<cbc:CompanyID {_scheme(CUSTOMER[1])}>{CUSTOMER[0]}</cbc:CompanyID>
			<cac:TaxScheme>
				<cbc:ID>01</cbc:ID>
				<cbc:Name>IVA</cbc:Name>
			</cac:TaxScheme>
		</cac:PartyTaxScheme>
	</cac:SenderParty>
	<cac:ReceiverParty>
		<cac:PartyTaxScheme>
			<cbc:RegistrationName>{SUPPLIER[2]}</cbc:RegistrationName>
			<cbc:CompanyID {_scheme(SUPPLIER[1])}>{SUPPLIER[0]}</cbc:CompanyID>
			<cac:TaxScheme>
				<cbc:ID>01</cbc:ID>
				<cbc:Name>IVA</cbc:Name>
			</cac:TaxScheme>
		</cac:PartyTaxScheme>
	</cac:ReceiverParty>
	<cac:DocumentResponse>
		<cac:Response>
			<cbc:ResponseCode>030</cbc:ResponseCode>
			<cbc:Description>Acuse de recibo de Factura Electrónica de Venta</cbc:Description>
		</cac:Response>
		<cac:DocumentReference>
			<cbc:ID>SETT1001</cbc:ID>
			<cbc:UUID schemeName="CUFE-SHA384">{sha384("SETT1001")}</cbc:UUID>
			<cbc:DocumentTypeCode>01</cbc:DocumentTypeCode>
		</cac:DocumentReference>
		<cac:IssuerParty>
			<cac:Person>
				<cbc:ID schemeID="" schemeName="13">1020304050</cbc:ID>
				<cbc:FirstName>María José</cbc:FirstName>
				<cbc:FamilyName>Peña Álvarez</cbc:FamilyName>
				<cbc:JobTitle>Jefe de compras</cbc:JobTitle>
				<cbc:OrganizationDepartment>Compras</cbc:OrganizationDepartment>
			</cac:Person>
		</cac:IssuerParty>
	</cac:DocumentResponse>
</ApplicationResponse>
"""


def attached_document_xml(invoice: str) -> str:
    """The container sent to the buyer: issuer's extension only, the invoice as CDATA text."""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<AttachedDocument xmlns="urn:oasis:names:specification:ubl:schema:xsd:AttachedDocument-2" {UBL_NS} {SIG_NS} xmlns:ccts="urn:un:unece:uncefact:data:specification:CoreComponentTypeSchemaModule:2">
	<ext:UBLExtensions>
		<ext:UBLExtension>
			<ext:ExtensionContent>
			</ext:ExtensionContent>
		</ext:UBLExtension>
	</ext:UBLExtensions>
	<cbc:UBLVersionID>UBL 2.1</cbc:UBLVersionID>
	<cbc:CustomizationID>Documentos adjuntos</cbc:CustomizationID>
	<cbc:ProfileID>Factura Electrónica de Venta</cbc:ProfileID>
	<cbc:ProfileExecutionID>2</cbc:ProfileExecutionID>
	<cbc:ID>AD-SETT1001</cbc:ID>
	<cbc:IssueDate>2026-11-22</cbc:IssueDate>
	<cbc:IssueTime>10:20:00-05:00</cbc:IssueTime>
	<cbc:DocumentType>Contenedor de Factura Electrónica</cbc:DocumentType>
	<cbc:ParentDocumentID>SETT1001</cbc:ParentDocumentID>
	<cac:SenderParty>
		<cac:PartyTaxScheme>
			<cbc:RegistrationName>{SUPPLIER[2]}</cbc:RegistrationName>
			<cbc:CompanyID {_scheme(SUPPLIER[1])}>{SUPPLIER[0]}</cbc:CompanyID>
			<cbc:TaxLevelCode listName="48">O-13</cbc:TaxLevelCode>
			<cac:TaxScheme>
				<cbc:ID>01</cbc:ID>
				<cbc:Name>IVA</cbc:Name>
			</cac:TaxScheme>
		</cac:PartyTaxScheme>
	</cac:SenderParty>
	<cac:ReceiverParty>
		<cac:PartyTaxScheme>
			<cbc:RegistrationName>{CUSTOMER[2]}</cbc:RegistrationName>
			<cbc:CompanyID {_scheme(CUSTOMER[1])}>{CUSTOMER[0]}</cbc:CompanyID>
			<cbc:TaxLevelCode listName="48">R-99-PN</cbc:TaxLevelCode>
			<cac:TaxScheme>
				<cbc:ID>01</cbc:ID>
				<cbc:Name>IVA</cbc:Name>
			</cac:TaxScheme>
		</cac:PartyTaxScheme>
	</cac:ReceiverParty>
	<cac:Attachment>
		<cac:ExternalReference>
			<cbc:MimeCode>text/xml</cbc:MimeCode>
			<cbc:EncodingCode>UTF-8</cbc:EncodingCode>
			<cbc:Description><![CDATA[{invoice}]]></cbc:Description>
		</cac:ExternalReference>
	</cac:Attachment>
	<cac:ParentDocumentLineReference>
		<cbc:LineID>1</cbc:LineID>
		<cac:DocumentReference>
			<cbc:ID>SETT1001</cbc:ID>
			<cbc:UUID schemeName="CUFE-SHA384">{sha384("SETT1001")}</cbc:UUID>
			<cbc:IssueDate>2026-11-22</cbc:IssueDate>
			<cbc:DocumentType>ApplicationResponse</cbc:DocumentType>
			<cac:ResultOfVerification>
				<cbc:ValidatorID>Unidad Especial Dirección de Impuestos y Aduanas Nacionales</cbc:ValidatorID>
				<cbc:ValidationResultCode>02</cbc:ValidationResultCode>
				<cbc:ValidationDate>2026-11-22</cbc:ValidationDate>
				<cbc:ValidationTime>10:16:02-05:00</cbc:ValidationTime>
			</cac:ResultOfVerification>
		</cac:DocumentReference>
	</cac:ParentDocumentLineReference>
</AttachedDocument>
"""


def nomina_xml(ajuste: bool) -> str:
    """NominaIndividual (self-closing empty UBLExtensions) or NominaIndividualDeAjuste (Reemplazar)."""
    root = "NominaIndividualDeAjuste" if ajuste else "NominaIndividual"
    number, date, time = ("NA0001" if ajuste else "NI0001"), "2026-11-30", "18:00:00-05:00"
    devengados, deducciones, total = "3910000.00", "312000.00", "3598000.00"
    xml_type = "103" if ajuste else "102"
    cune = sha384(
        f"{number}{date}{time}{devengados}{deducciones}{total}{SUPPLIER[0]}52345678{xml_type}{SOFTWARE_PIN}2"
    )
    extensions = (
        "\t<ext:UBLExtensions>\n\t</ext:UBLExtensions>\n" if ajuste else "\t<ext:UBLExtensions/>\n"
    )
    ind = "\t\t" if ajuste else "\t"
    head = (
        '\t<TipoNota>1</TipoNota>\n\t<Reemplazar>\n\t\t<ReemplazandoPredecesor NumeroPred="NI0001" '
        f'CUNEPred="{sha384("NI0001")}" FechaGenPred="2026-11-30"/>\n'
        if ajuste
        else '\t<Novedad CUNENov="">false</Novedad>\n'
    )
    tail = "\t</Reemplazar>\n" if ajuste else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Nómina electrónica de prueba generada para minica (datos ficticios) -->
<{root} xmlns="dian:gov:co:facturaelectronica:{root}" {SIG_NS} xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2" {XSI} SchemaLocation="" xsi:schemaLocation="dian:gov:co:facturaelectronica:{root} {root}ElectronicaXSD.xsd">
{extensions}{head}{ind}<Periodo FechaIngreso="2024-02-01" FechaLiquidacionInicio="2026-11-01" FechaLiquidacionFin="2026-11-30" TiempoLaborado="1034" FechaGen="{date}"/>
{ind}<NumeroSecuenciaXML CodigoTrabajador="T-0042" Prefijo="{number[:2]}" Consecutivo="1" Numero="{number}"/>
{ind}<LugarGeneracionXML Pais="CO" DepartamentoEstado="11" MunicipioCiudad="11001" Idioma="es"/>
{ind}<ProveedorXML RazonSocial="{SUPPLIER[2]}" NIT="{SUPPLIER[0]}" DV="{SUPPLIER[1]}" SoftwareID="{SOFTWARE_ID}" SoftwareSC="{sha384(SOFTWARE_ID + SOFTWARE_PIN + number)}"/>
{ind}<CodigoQR>https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey={cune}</CodigoQR>
{ind}<InformacionGeneral Version="V1.0: Documento Soporte de Pago de Nómina Electrónica" Ambiente="2" TipoXML="{xml_type}" CUNE="{cune}" EncripCUNE="CUNE-SHA384" FechaGen="{date}" HoraGen="{time}" PeriodoNomina="5" TipoMoneda="COP" TRM="0"/>
{ind}<Notas>Pago de nómina de noviembre — sede Bogotá D.C.</Notas>
{ind}<Empleador RazonSocial="{SUPPLIER[2]}" NIT="{SUPPLIER[0]}" DV="{SUPPLIER[1]}" Pais="CO" DepartamentoEstado="11" MunicipioCiudad="11001" Direccion="Calle 26 # 69-76, Torre Ñandú"/>
{ind}<Trabajador TipoTrabajador="01" SubTipoTrabajador="00" AltoRiesgoPension="false" TipoDocumento="13" NumeroDocumento="52345678" PrimerApellido="Muñoz" SegundoApellido="Ibáñez" PrimerNombre="Sofía" LugarTrabajoPais="CO" LugarTrabajoDepartamentoEstado="11" LugarTrabajoMunicipioCiudad="11001" LugarTrabajoDireccion="Calle 26 # 69-76" SalarioIntegral="false" TipoContrato="2" Sueldo="3800000.00" CodigoTrabajador="T-0042"/>
{ind}<Pago Forma="1" Metodo="42" Banco="Banco de Bogotá" TipoCuenta="Ahorros" NumeroCuenta="001234567890"/>
{ind}<FechasPagos>
{ind}	<FechaPago>2026-11-30</FechaPago>
{ind}</FechasPagos>
{ind}<Devengados>
{ind}	<Basico DiasTrabajados="30" SueldoTrabajado="3800000.00"/>
{ind}	<Transporte AuxilioTransporte="110000.00"/>
{ind}</Devengados>
{ind}<Deducciones>
{ind}	<Salud Porcentaje="4.00" Deduccion="152000.00"/>
{ind}	<FondoPension Porcentaje="4.00" Deduccion="152000.00"/>
{ind}	<OtrasDeducciones><OtraDeduccion>8000.00</OtraDeduccion></OtrasDeducciones>
{ind}</Deducciones>
{ind}<DevengadosTotal>{devengados}</DevengadosTotal>
{ind}<DeduccionesTotal>{deducciones}</DeduccionesTotal>
{ind}<ComprobanteTotal>{total}</ComprobanteTotal>
{tail}</{root}>
"""


def samples() -> dict[str, bytes]:
    """File name → exact bytes of every sample."""
    habilitacion = invoice_xml(2)
    empty_slot = (
        "\t\t<ext:UBLExtension>\n\t\t\t<ext:ExtensionContent/>\n\t\t</ext:UBLExtension>\n"
    )
    produccion = invoice_xml(
        3, env="1", number="FE2001", extra_extension=empty_slot,
        note="Factura de venta en producción — pago a 30 días",
    )
    credit = invoice_xml(1, root="CreditNote", number="NC101", note="Nota crédito por devolución de café")
    debit = invoice_xml(1, root="DebitNote", number="ND101", note="Nota débito por intereses de mora — año 2026")
    debit_latin1 = debit.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(" — ", " - ")
    return {
        "invoice-habilitacion.xml": habilitacion.encode("utf-8"),
        "invoice-produccion.xml": produccion.encode("utf-8"),
        # CRLF and a BOM, as Windows tools write them.
        "creditnote.xml": b"\xef\xbb\xbf" + credit.replace("\n", "\r\n").encode("utf-8"),
        # Latin-1, which some ERPs still emit.
        "debitnote-iso-8859-1.xml": debit_latin1.encode("iso-8859-1"),
        "applicationresponse-030-acuse.xml": application_response_xml().encode("utf-8"),
        "attacheddocument.xml": attached_document_xml(habilitacion).encode("utf-8"),
        "nomina-individual.xml": nomina_xml(False).encode("utf-8"),
        "nomina-individual-ajuste.xml": nomina_xml(True).encode("utf-8"),
    }


def main() -> None:
    for name, data in samples().items():
        (HERE / name).write_bytes(data)
    package_copy = HERE.parent / "src" / "minica" / "data" / "samples" / "invoice-habilitacion.xml"
    package_copy.parent.mkdir(parents=True, exist_ok=True)
    package_copy.write_bytes(samples()["invoice-habilitacion.xml"])


if __name__ == "__main__":
    main()
