"""``NominaIndividual`` (Documento Soporte de Pago de Nómina Electrónica 1.0), unsigned.

Elements and attributes in the order of DIAN's skeleton (``testdata/dian-unsigned/``): an empty
``ext:UBLExtensions`` for the signature, ``Novedad``, ``Periodo``, ``NumeroSecuenciaXML``,
``LugarGeneracionXML``, ``ProveedorXML`` (with the software security code), ``CodigoQR``,
``InformacionGeneral`` (with the CUNE), the employer, the worker, the payment, what was earned and
deducted, and the three totals. The period is the calendar month before the issue date, paid on
its last day; the worker earns a monthly salary (plus the transport allowance when given) and pays
4 % health and 4 % pension.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from minica.clock import colombian, require_aware
from minica.dian.amounts import CENT, money
from minica.dian.issuer import Issuer, split_number
from minica.dian.parties import DIAN_DOCUMENT_CODES, Address, checked_text
from minica.dian.ubl_writer import QR_URL, XML_DECLARATION, XSI
from minica.errors import InvalidInput
from minica.identity import DocumentType, document_number_problem
from minica.signing import namespaces as ns
from minica.signing.cufe import document_key, software_security_code
from minica.signing.document import DocumentKind

VERSION = "V1.0: Documento Soporte de Pago de Nómina Electrónica"
#: Health and pension contributions the worker pays (percent of the salary).
HEALTH_PERCENT = PENSION_PERCENT = Decimal(4)


@dataclass(frozen=True)
class Employee:
    """The worker a payroll document pays: identification, names, monthly salary, hire date."""

    document_number: str = "52345678"
    first_name: str = "SOFÍA"
    surname: str = "MUÑOZ"
    second_surname: str = "IBÁÑEZ"
    salary: Decimal = Decimal("3800000.00")
    transport_allowance: Decimal = Decimal("0.00")
    hire_date: _dt.date | None = None
    code: str = "T-0001"
    document_type: DocumentType = DocumentType.CC
    workplace: Address = field(default_factory=Address)

    def __post_init__(self) -> None:
        if not isinstance(self.document_type, DocumentType) or self.document_type not in DIAN_DOCUMENT_CODES:
            raise TypeError("Employee.document_type must be a DocumentType")
        problem = document_number_problem(self.document_type, checked_text(self.document_number, "document number"))
        if problem:
            raise InvalidInput(problem, "check the worker's document number")
        for name in ("first_name", "surname", "second_surname", "code"):
            object.__setattr__(self, name, checked_text(getattr(self, name), f"worker {name}", limit=60))
        for name in ("salary", "transport_allowance"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise TypeError(f"Employee.{name} must be a finite Decimal")
            if not 0 <= value <= 10**10 or value != value.quantize(CENT):
                raise InvalidInput(f"worker {name} {value} is not valid", "give an amount of at least 0, 2 decimals")
        if self.salary <= 0:
            raise InvalidInput("the worker's salary must be positive", "e.g. 3800000.00")
        if self.hire_date is not None and (isinstance(self.hire_date, _dt.datetime)
                                           or not isinstance(self.hire_date, _dt.date)):
            raise TypeError("Employee.hire_date must be a date")
        if not isinstance(self.workplace, Address):
            raise TypeError("Employee.workplace must be an Address")


def _period(issue_date: _dt.date) -> tuple[_dt.date, _dt.date]:
    """The calendar month before ``issue_date``: (first day, last day)."""
    end = issue_date.replace(day=1) - _dt.timedelta(days=1)
    return end.replace(day=1), end


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def build_nomina(issuer: Issuer, number: str, issue_time: _dt.datetime, employee: Employee, note: str) -> bytes:
    """The payroll document's bytes (UTF-8, no BOM): deterministic for the same inputs."""
    prefix, consecutive = split_number(number)
    moment = colombian(require_aware(issue_time, "issue time")).replace(microsecond=0)
    start, end = _period(moment.date())
    hired = employee.hire_date or start
    if hired > end:
        raise InvalidInput(f"the worker was hired on {hired}, after the payroll period {start}–{end}",
                           "give an earlier hire date or a later issue time")
    environment = issuer.environment.profile_execution_id
    company, provider = issuer.company, issuer.software_provider
    kind = DocumentKind.NOMINA_INDIVIDUAL
    root = etree.Element(f"{{{kind.namespace}}}{kind.value}",
                         nsmap={None: kind.namespace, "ds": ns.DS, "ext": ns.EXT, "xades": ns.XADES,
                                "xades141": ns.XADES141, "xsi": XSI})
    root.set("SchemaLocation", "")
    root.set(f"{{{XSI}}}schemaLocation", f"{kind.namespace} NominaIndividualElectronicaXSD.xsd")

    def add(tag: str, text: str | None = None, **attributes: str) -> etree._Element:
        element = etree.SubElement(root, f"{{{kind.namespace}}}{tag}", attributes)
        element.text = text
        return element

    etree.SubElement(root, f"{{{ns.EXT}}}UBLExtensions")
    add("Novedad", "false", CUNENov="")
    add("Periodo", FechaIngreso=hired.isoformat(), FechaLiquidacionInicio=start.isoformat(),
        FechaLiquidacionFin=end.isoformat(), TiempoLaborado=str((end - hired).days + 1),
        FechaGen=moment.date().isoformat())
    add("NumeroSecuenciaXML", CodigoTrabajador=employee.code, Prefijo=prefix, Consecutivo=consecutive,
        Numero=number)
    add("LugarGeneracionXML", Pais="CO", DepartamentoEstado=company.address.department_code,
        MunicipioCiudad=company.address.city_code, Idioma="es")
    add("ProveedorXML", RazonSocial=provider.name, NIT=provider.number, DV=provider.check_digit or "",
        SoftwareID=issuer.software_id,
        SoftwareSC=software_security_code(issuer.software_id, issuer.software_pin, number))
    qr = add("CodigoQR")
    general = add("InformacionGeneral", Version=VERSION, Ambiente=environment, TipoXML="102", CUNE="",
                  EncripCUNE="CUNE-SHA384", FechaGen=moment.date().isoformat(),
                  HoraGen=moment.strftime("%H:%M:%S") + "-05:00", PeriodoNomina="5", TipoMoneda="COP")
    add("Notas", note)
    add("Empleador", RazonSocial=company.name, NIT=company.number, DV=company.check_digit or "", Pais="CO",
        DepartamentoEstado=company.address.department_code, MunicipioCiudad=company.address.city_code,
        Direccion=company.address.line)
    place = employee.workplace
    add("Trabajador", TipoTrabajador="01", SubTipoTrabajador="00", AltoRiesgoPension="false",
        TipoDocumento=DIAN_DOCUMENT_CODES[employee.document_type], NumeroDocumento=employee.document_number,
        PrimerApellido=employee.surname, SegundoApellido=employee.second_surname,
        PrimerNombre=employee.first_name, LugarTrabajoPais="CO",
        LugarTrabajoDepartamentoEstado=place.department_code, LugarTrabajoMunicipioCiudad=place.city_code,
        LugarTrabajoDireccion=place.line, SalarioIntegral="false", TipoContrato="2",
        Sueldo=money(employee.salary), CodigoTrabajador=employee.code)
    add("Pago", Forma="1", Metodo="10")  # contado, efectivo
    etree.SubElement(add("FechasPagos"), f"{{{kind.namespace}}}FechaPago").text = end.isoformat()

    earned = add("Devengados")
    etree.SubElement(earned, f"{{{kind.namespace}}}Basico", DiasTrabajados="30",
                     SueldoTrabajado=money(employee.salary))
    if employee.transport_allowance:
        etree.SubElement(earned, f"{{{kind.namespace}}}Transporte",
                         AuxilioTransporte=money(employee.transport_allowance))
    health, pension = _percent_of(employee.salary, HEALTH_PERCENT), _percent_of(employee.salary, PENSION_PERCENT)
    deducted = add("Deducciones")
    etree.SubElement(deducted, f"{{{kind.namespace}}}Salud", Porcentaje=money(HEALTH_PERCENT),
                     Deduccion=money(health))
    etree.SubElement(deducted, f"{{{kind.namespace}}}FondoPension", Porcentaje=money(PENSION_PERCENT),
                     Deduccion=money(pension))
    total_earned = employee.salary + employee.transport_allowance
    add("DevengadosTotal", money(total_earned))
    add("DeduccionesTotal", money(health + pension))
    add("ComprobanteTotal", money(total_earned - health - pension))

    key = document_key(root, software_pin=issuer.software_pin)
    assert key is not None  # the PIN was given
    general.set("CUNE", key.computed)
    qr.text = QR_URL[environment] + key.computed
    return XML_DECLARATION + bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=False))
