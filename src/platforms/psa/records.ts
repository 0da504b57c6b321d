import { at, field, type RecordShape } from "../records.ts";

/** PSA (ConnectWise-style) records as the pulls store them; custom fields only when chosen. */

const lastUpdated = field.dateTime(
  "lastUpdated",
  "When it last changed on the platform.",
  "_info",
  "lastUpdated",
);
const customFields = field.json(
  "customFields",
  "The custom fields chosen in the entity's settings, as the platform sends them ([{ id, caption, type, value }]).",
);

/** A contact's default communication item of a kind (Email, Phone). */
function communication(kind: "Email" | "Phone") {
  return (data: Record<string, unknown>) => {
    const items = at(data, "communicationItems");
    if (!Array.isArray(items)) return null;
    const ofKind = items.filter((item) => item?.communicationType === kind);
    const chosen = ofKind.find((item) => item?.defaultFlag) ?? ofKind[0];
    return chosen?.value === undefined ? null : String(chosen.value);
  };
}

export const PSA_RECORD_SHAPES: Record<string, RecordShape> = {
  company: {
    typeName: "PsaCompany",
    description: "A PSA company (customer), as last pulled.",
    fields: [
      field.int("companyId", "The company's id on the platform.", "id"),
      field.string("identifier", "Short identifier."),
      field.string("name", "Name."),
      field.string("website", "Website."),
      field.ref("companyStatus", "Company status.", "status"),
      lastUpdated,
    ],
  },
  companyStatus: {
    typeName: "PsaCompanyStatus",
    description: "A PSA company status, as last pulled.",
    fields: [
      field.int("statusId", "The status's id on the platform.", "id"),
      field.string("name", "Name."),
      field.boolean("isDefault", "Whether it is the default status.", "defaultFlag"),
      field.boolean("inactive", "Whether it is inactive.", "inactiveFlag"),
      lastUpdated,
    ],
  },
  site: {
    typeName: "PsaSite",
    description: "A site (address) of a PSA company, as last pulled.",
    fields: [
      field.int("siteId", "The site's id on the platform.", "id"),
      field.string("name", "Name."),
      field.ref("company", "The company."),
      field.boolean("inactive", "Whether it is inactive.", "inactiveFlag"),
      field.boolean("primaryAddress", "Whether it is the company's primary address.", "primaryAddressFlag"),
      field.string("addressLine1", "Address line 1."),
      field.string("addressLine2", "Address line 2."),
      field.string("city", "City."),
      field.string("state", "State.", "stateReference", "identifier"),
      field.string("zip", "Post code."),
      field.string("country", "Country.", "country", "name"),
      lastUpdated,
    ],
  },
  configuration: {
    typeName: "PsaConfiguration",
    description: "A PSA configuration (asset), as last pulled.",
    fields: [
      field.int("configurationId", "The configuration's id on the platform.", "id"),
      field.string("name", "Name."),
      field.ref("configurationType", "Configuration type.", "type"),
      field.ref("configurationStatus", "Status.", "status"),
      field.ref("company", "The company it belongs to."),
      field.ref("manufacturer", "Manufacturer."),
      field.string("serialNumber", "Serial number."),
      field.string("osType", "Operating system type."),
      field.dateTime("purchaseDate", "Purchase date."),
      field.dateTime("warrantyExpirationDate", "Warranty expiry."),
      field.string("notes", "Notes."),
      customFields,
      lastUpdated,
    ],
  },
  contact: {
    typeName: "PsaContact",
    description: "A PSA contact, as last pulled.",
    fields: [
      field.int("contactId", "The contact's id on the platform.", "id"),
      field.string("firstName", "First name."),
      field.string("lastName", "Last name."),
      field.refList("types", "Contact types."),
      field.string("title", "Title."),
      field.ref("company", "The company."),
      field.derived("email", "string", "Default email address.", communication("Email")),
      field.derived("phone", "string", "Default phone number.", communication("Phone")),
      field.string("addressLine1", "Address line 1."),
      field.string("city", "City."),
      field.string("state", "State."),
      field.string("zip", "Post code."),
      field.string("country", "Country.", "country", "name"),
      field.boolean("inactive", "Whether the contact is inactive.", "inactiveFlag"),
      customFields,
      lastUpdated,
    ],
  },
  serviceBoard: {
    typeName: "PsaServiceBoard",
    description: "A PSA service board, as last pulled.",
    fields: [
      field.int("boardId", "The board's id on the platform.", "id"),
      field.string("name", "Name."),
      field.boolean("inactive", "Whether it is inactive.", "inactiveFlag"),
      lastUpdated,
    ],
  },
  servicePriority: {
    typeName: "PsaServicePriority",
    description: "A PSA ticket priority, as last pulled.",
    fields: [
      field.int("priorityId", "The priority's id on the platform.", "id"),
      field.string("name", "Name."),
      field.int("sortOrder", "Sort order."),
      field.string("color", "Colour."),
      lastUpdated,
    ],
  },
  serviceStatus: {
    typeName: "PsaServiceStatus",
    description: "A ticket status of a PSA service board, as last pulled.",
    fields: [
      field.int("statusId", "The status's id on the platform.", "id"),
      field.string("name", "Name."),
      field.ref("board", "The board it belongs to."),
      field.int("sortOrder", "Sort order."),
      field.boolean("closedStatus", "Whether tickets in it are closed."),
      lastUpdated,
    ],
  },
};
