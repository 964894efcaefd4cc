"""Agent types of the cluster: the Mesa agent classes and the pure decision rules of each type.

Nothing here imports from ``sim``; the model passes arrays and numbers in.
"""

from catfish.agents.government import Government
from catfish.agents.lead_firm import LeadFirm
from catfish.agents.provider import ServiceProvider
from catfish.agents.sme import SME

__all__ = ["SME", "Government", "LeadFirm", "ServiceProvider"]
