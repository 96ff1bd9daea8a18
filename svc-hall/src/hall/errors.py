"""Problems a client of svc-hall may see; each slug is stable (clients branch on it)."""

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class HallNotFound(NotFound):
    slug, title = "hall-not-found", "No such hall"


class QueueNotFound(NotFound):
    slug, title = "queue-not-found", "No such queue in this hall"


class WindowNotFound(NotFound):
    slug, title = "window-not-found", "No such window"


class TicketNotFound(NotFound):
    slug, title = "ticket-not-found", "No such ticket"


class AppointmentNotFound(NotFound):
    slug, title = "appointment-not-found", "No booked appointment with that reference at this hall"


class KioskNotFound(NotFound):
    slug, title = "kiosk-not-found", "No such kiosk"


class AgencyNotFound(NotFound):
    slug, title = "agency-not-found", "No such agency (全程代办) record"


class NotHallStaff(Forbidden):
    slug, title = "not-hall-staff", "Only the hall's staff (or its administrators) may do this"


class NotAtThisWindow(Forbidden):
    slug, title = "not-signed-in-here", "Sign in at this window first; only its signed-in staff call and serve"


class NotARegisteredKiosk(Forbidden):
    slug, title = "not-a-registered-kiosk", "This client is not a registered kiosk of the hall"


class NotYourAppointment(Forbidden):
    slug, title = "not-your-appointment", "Only the appointment's holder checks it in"


class DuplicateCode(Conflict):
    slug, title = "code-taken", "The hall already has a queue with that code"


class WindowBusy(Conflict):
    slug, title = "window-busy", "The window still has a called ticket: finish, skip or transfer it first"


class WindowTaken(Conflict):
    slug, title = "window-taken", "Another staff member is signed in at this window"


class NotSignedIn(Conflict):
    slug, title = "not-signed-in", "Nobody is signed in at this window"


class InvalidTicketState(Conflict):
    slug, title = "invalid-ticket-state", "The ticket cannot do that in its current state"


class AlreadyCheckedIn(Conflict):
    slug, title = "appointment-already-checked-in", "This appointment already has its ticket"


class AppointmentNotToday(ProblemError):
    slug, status, title = "appointment-not-today", 422, "The appointment is for another day"


class PriorityGroupUnknown(ProblemError):
    slug, status, title = "priority-group-unknown", 422, "The queue gives no priority to that group"


class RealNameFailed(ProblemError):
    slug, status, title = "real-name-check-failed", 422, "The real-name check did not pass"


class AgencyEnded(Conflict):
    slug, title = "agency-ended", "The agency has already ended"


class QueueRetired(Conflict):
    slug, title = "queue-retired", "The queue is retired: it takes no tickets"


class WindowRetired(Conflict):
    slug, title = "window-retired", "The window is retired: nobody signs in at it"


class QueueInUse(Conflict):
    slug, title = "queue-in-use", "Tickets still wait in or are served from this queue: transfer or finish them first"


class WindowInUse(Conflict):
    slug, title = "window-in-use", "Someone is signed in at this window or it has a called ticket"


class CaseNotFound(NotFound):
    slug, title = "case-not-found", "No case with that tracking number has the checked person as its applicant"


class CasesUnavailable(ProblemError):
    slug, status, title = "case-lookup-unavailable", 503, "The case lookup cannot be answered now"


class NotTheHolder(Forbidden):
    slug, title = "not-the-appointment-holder", "The person checked at the kiosk is not the appointment's holder"


class HolderCheckUnavailable(ProblemError):
    slug, status, title = "holder-check-unavailable", 503, "Whether the person holds the appointment cannot be told now"


class DocumentNotFound(NotFound):
    slug, title = "document-not-found", "The checked person has no printable document by that licence or case"


class PrintsUnavailable(ProblemError):
    slug, status, title = "print-unavailable", 503, "Documents cannot be printed now"
