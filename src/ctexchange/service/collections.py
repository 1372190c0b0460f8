"""Collections (banks): creation with a default marking, sharing group and per-kind settings, listing."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID, uuid4

from ctexchange.domain.kinds import KindRegistry
from ctexchange.domain.markings import Marking
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import BankPurpose, Collection, HitPolicy, JsonValue, SightingPolicy
from ctexchange.domain.text import clean_name, clean_text
from ctexchange.errors import InvalidInput, NotFound
from ctexchange.service.access import audience, require, visible_collection
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.members import find_group
from ctexchange.store.protocol import Store, UnitOfWork


class CollectionService:
    """Create, list and read collections."""

    def __init__(self, store: Store, kinds: KindRegistry, clock: Clock) -> None:
        self.store = store
        self.kinds = kinds
        self.clock = clock

    def create(
        self,
        caller: Caller,
        name: str,
        marking: str = "AMBER",
        group_ref: str | None = None,
        description: str = "",
        kind_settings: Mapping[str, Mapping[str, JsonValue]] | None = None,
        hit_policy: str = "hide",
        purpose: str = "positive",
        requires_review: bool = False,
        sighting_policy: str = "named",
    ) -> Collection:
        """Create a collection owned by the caller's organization.

        `hit_policy` says what a caller whose lookup hits a signal it may not see learns: nothing
        (`hide`) or that a restricted signal matched and whom to contact (`notify`). `sighting_policy`
        says what the owner learns of who matched: which organization (`named`) or a pseudonym
        (`anonymised`).
        """
        require(caller, Action.WRITE_COLLECTIONS)
        parsed = Marking.parse(marking, "marking")
        policy = HitPolicy.parse(hit_policy, "hit_policy")
        bank_purpose = BankPurpose.parse(purpose, "purpose")
        sightings = SightingPolicy.parse(sighting_policy, "sighting_policy")
        if not isinstance(requires_review, bool):
            raise InvalidInput.expected("requires_review", "true or false", requires_review)
        settings = self._settings(kind_settings or {})
        with self.store.transaction() as uow:
            group_id = None if group_ref is None else self._member_group(uow, caller, group_ref)
            collection = Collection(
                uuid4(),
                clean_name(name, "name"),
                caller.principal.org_id,
                parsed,
                group_id,
                clean_text(description, "description", max_chars=2000, allow_empty=True, multiline=True),
                settings,
                self.clock(),
                policy,
                bank_purpose,
                requires_review,
                sightings,
            )
            uow.collections.add(collection)
            record(
                uow,
                caller,
                self.clock,
                "collection.create",
                ("collection", collection.id, collection.org_id),
                {
                    "name": collection.name,
                    "marking": parsed.value,
                    "hit_policy": policy.value,
                    "purpose": bank_purpose.value,
                    "requires_review": requires_review,
                    "sighting_policy": sightings.value,
                },
            )
        return collection

    def _settings(self, raw: Mapping[str, Mapping[str, JsonValue]]) -> dict[str, dict[str, JsonValue]]:
        if not isinstance(raw, Mapping):
            raise InvalidInput.expected("kind_settings", "an object of kind name to settings", raw)
        settings = {}
        for kind_name, values in raw.items():
            kind = self.kinds.get(kind_name, f"kind_settings.{kind_name}")
            if not isinstance(values, Mapping):
                raise InvalidInput.expected(f"kind_settings.{kind_name}", "an object", values)
            settings[kind_name] = kind.validate_settings(values, f"kind_settings.{kind_name}")
        return settings

    @staticmethod
    def _member_group(uow: UnitOfWork, caller: Caller, ref: str) -> UUID:
        group = find_group(uow, ref)
        if caller.principal.org_id not in group.member_org_ids:
            raise NotFound.of("sharing group", ref, "group")
        return group.id

    def list(self, caller: Caller) -> list[Collection]:
        """Return the collections the caller may see."""
        require(caller, Action.READ_COLLECTIONS)
        with self.store.snapshot() as uow:
            return uow.collections.visible(audience(caller))

    def get(self, caller: Caller, ref: str) -> Collection:
        """Return one visible collection by id, `ORG/NAME` or NAME."""
        require(caller, Action.READ_COLLECTIONS)
        with self.store.snapshot() as uow:
            return visible_collection(uow, caller, ref)
