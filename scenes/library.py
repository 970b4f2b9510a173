"""The scenes of the platform, each one description for every backend.

``reach``: a fixed arm and a goal marker. ``navigate``: a mobile base in a walled room with
obstacles. ``household``: a kitchen/living room with tables, a shelf, containers and graspable
objects, a mobile manipulator, a user avatar and the user's wearable camera.
"""

from __future__ import annotations

from collections.abc import Callable

from scenes.description import Body, Camera, Geom, Joint, Scene, Vec3
from scenes.embodiments import Parts, avatar, mobile_base, robot_arm, wearable

FLOOR_RGBA = (0.55, 0.6, 0.55, 1.0)
WALL_RGBA = (0.85, 0.82, 0.75, 1.0)
WOOD_RGBA = (0.55, 0.35, 0.2, 1.0)
GOAL_RGBA = (0.1, 0.85, 0.2, 0.8)


def compose(name: str, parts: list[Parts], bodies: list[Body], world: list[Geom],
            cameras: list[Camera] = ()) -> Scene:  # fmt: skip
    """A scene of embodiment ``parts``, extra ``bodies``, ``world`` geoms and ``cameras``."""
    return Scene(
        name,
        bodies=(*bodies, *(p.body for p in parts if p.body is not None)),
        actuators=tuple(a for p in parts for a in p.actuators),
        cameras=(*cameras, *(c for p in parts for c in p.cameras)),
        embodiments=tuple(p.embodiment for p in parts if p.embodiment is not None),
        world_geoms=tuple(world),
    ).validate()


def room(half_x: float, half_y: float, height: float = 1.0) -> list[Geom]:
    """A floor and four walls enclosing ``[-half_x, half_x] × [-half_y, half_y]``."""
    t = 0.05
    return [
        Geom("plane", (half_x + 1.0, half_y + 1.0), rgba=FLOOR_RGBA),
        *(Geom("box", (half_x + t, t, height / 2), pos=(0.0, s * (half_y + t), height / 2),
               rgba=WALL_RGBA) for s in (-1, 1)),
        *(Geom("box", (t, half_y + t, height / 2), pos=(s * (half_x + t), 0.0, height / 2),
               rgba=WALL_RGBA) for s in (-1, 1)),
    ]  # fmt: skip


def goal_marker(name: str = "goal", radius: float = 0.05, shape: str = "sphere") -> Body:
    """A kinematic, non-colliding marker the task moves to the goal."""
    size = (radius,) if shape == "sphere" else (radius, 0.005)
    return Body(name, mocap=True, geoms=(Geom(shape, size, rgba=GOAL_RGBA, collide=False),))


def reach_scene() -> Scene:
    """A 3-DoF arm on the floor; a marker shows the point its fingertip must reach."""
    floor = Geom("plane", (2.0, 2.0), rgba=FLOOR_RGBA)
    return compose("reach", [robot_arm()], [goal_marker(radius=0.05)], [floor])


NAVIGATE_OBSTACLES: tuple[tuple[str, Vec3, Vec3], ...] = (  # name, position, half-extents
    ("crate", (1.0, 0.8, 0.3), (0.3, 0.3, 0.3)),
    ("pillar", (-1.0, -0.6, 0.5), (0.25, 0.25, 0.5)),
    ("bench", (-0.9, 1.6, 0.25), (0.6, 0.2, 0.25)),
    ("cabinet", (1.4, -1.5, 0.45), (0.25, 0.45, 0.45)),
)
NAVIGATE_HALF_SIZE = 2.5


def navigate_scene() -> Scene:
    """A mobile base in a 5 m × 5 m walled room with four obstacles and a goal disc."""
    colours = ((0.7, 0.2, 0.2, 1), (0.2, 0.3, 0.7, 1), (0.6, 0.5, 0.2, 1), (0.4, 0.2, 0.5, 1))
    obstacles = [
        Body(name, pos=pos, geoms=(Geom("box", size, rgba=rgba),))
        for (name, pos, size), rgba in zip(NAVIGATE_OBSTACLES, colours, strict=True)
    ]
    top = Camera("overview", pos=(0.0, -4.2, 6.0), forward=(0.0, 0.55, -1.0))
    return compose(
        "navigate",
        [mobile_base()],
        [*obstacles, goal_marker(radius=0.25, shape="cylinder")],
        room(NAVIGATE_HALF_SIZE, NAVIGATE_HALF_SIZE, 0.6),
        [top],
    )


# ----- household ------------------------------------------------------------------------------
def table(name: str, pos: Vec3, half: tuple[float, float], height: float) -> Body:
    """A table: a top on four legs."""
    hx, hy = half
    legs = tuple(
        Geom("box", (0.03, 0.03, (height - 0.03) / 2), pos=(sx * (hx - 0.05), sy * (hy - 0.05),
             (height - 0.03) / 2), rgba=WOOD_RGBA)
        for sx in (-1, 1) for sy in (-1, 1)
    )  # fmt: skip
    top = Geom("box", (hx, hy, 0.02), pos=(0.0, 0.0, height - 0.02), rgba=WOOD_RGBA)
    return Body(name, pos=pos, geoms=(top, *legs))


BOARD_HALF_THICKNESS = 0.015
CONTAINER_WALL = 0.01


def shelf(name: str, pos: Vec3, boards: tuple[float, ...]) -> Body:
    """A shelf unit along y: two side panels, a back panel and horizontal boards at heights
    ``boards`` (their centres)."""
    rgba = (0.9, 0.9, 0.88, 1.0)
    sides = tuple(Geom("box", (0.2, 0.02, 0.65), pos=(0.0, s * 0.5, 0.65), rgba=rgba)
                  for s in (-1, 1))  # fmt: skip
    back = Geom("box", (0.01, 0.5, 0.65), pos=(0.19, 0.0, 0.65), rgba=rgba)
    half = (0.2, 0.48, BOARD_HALF_THICKNESS)
    shelves = tuple(Geom("box", half, pos=(0.0, 0.0, z), rgba=rgba) for z in boards)
    return Body(name, pos=pos, geoms=(*sides, back, *shelves))


def container(name: str, pos: Vec3, half: Vec3, rgba: tuple[float, ...]) -> Body:
    """An open-topped box (a bin or tray) with thin walls."""
    hx, hy, hz, t = *half, CONTAINER_WALL
    walls = (
        Geom("box", (hx, hy, t), pos=(0.0, 0.0, t), rgba=rgba),
        *(Geom("box", (hx, t, hz), pos=(0.0, s * (hy - t), hz), rgba=rgba) for s in (-1, 1)),
        *(Geom("box", (t, hy, hz), pos=(s * (hx - t), 0.0, hz), rgba=rgba) for s in (-1, 1)),
    )
    return Body(name, pos=pos, geoms=walls)


def graspable(name: str, pos: Vec3, geom: Geom) -> Body:
    """A free body that can be picked up and moved."""
    return Body(name, pos=pos, geoms=(geom,), joints=(Joint(f"{name}_free", "free"),))


HOUSEHOLD_HALF = (3.0, 2.5)
KITCHEN_TABLE = ((1.2, 0.8, 0.0), (0.6, 0.4), 0.75)
COFFEE_TABLE = ((-1.3, -1.2, 0.0), (0.5, 0.3), 0.45)
SHELF_POS: Vec3 = (2.7, -1.2, 0.0)
SHELF_BOARDS = (0.3, 0.7, 1.1)
BIN: tuple[Vec3, Vec3] = ((-2.5, 1.9, 0.0), (0.25, 0.2, 0.15))  # position, half-extents
# name, description for instructions, position, geom
GRASPABLES: tuple[tuple[str, str, Vec3, Geom], ...] = (
    ("mug", "the blue mug on the kitchen table", (1.0, 0.7, 0.8),
     Geom("cylinder", (0.04, 0.05), rgba=(0.2, 0.3, 0.9, 1), mass=0.3)),
    ("apple", "the red apple on the kitchen table", (1.45, 0.95, 0.8),
     Geom("sphere", (0.04,), rgba=(0.85, 0.1, 0.1, 1), mass=0.2)),
    ("book", "the green book on the coffee table", (-1.3, -1.15, 0.48),
     Geom("box", (0.1, 0.07, 0.02), rgba=(0.1, 0.6, 0.2, 1), mass=0.4)),
    ("can", "the yellow can on the shelf", (2.7, -1.4, 0.38),
     Geom("cylinder", (0.033, 0.06), rgba=(0.95, 0.85, 0.1, 1), mass=0.35)),
    ("block", "the orange block on the shelf", (2.7, -0.95, 0.77),
     Geom("box", (0.04, 0.04, 0.04), rgba=(1.0, 0.5, 0.1, 1), mass=0.25)),
)  # fmt: skip


def household_scene() -> Scene:
    """A shared room for human–robot collaboration: furniture, containers, graspable objects,
    a mobile manipulator, the user's avatar and the user's wearable camera."""
    furniture = [
        table("kitchen_table", *KITCHEN_TABLE),
        table("coffee_table", *COFFEE_TABLE),
        shelf("shelf", SHELF_POS, SHELF_BOARDS),
        container("bin", *BIN, (0.3, 0.3, 0.35, 1)),
        container("tray", (1.0, 1.0, 0.75), (0.15, 0.1, 0.02), (0.8, 0.8, 0.8, 1)),
    ]
    objects = [graspable(name, pos, geom) for name, _, pos, geom in GRASPABLES]
    top = Camera("overview", pos=(0.0, -5.0, 5.5), forward=(0.0, 0.7, -1.0))
    return compose(
        "household",
        [mobile_base(with_arm=True), avatar(pos=(0.0, -1.5, 0.0), solid=False),
         wearable()],
        [*furniture, *objects],
        room(*HOUSEHOLD_HALF, 1.2),
        [top],
    )  # fmt: skip


def _surface(pos: Vec3, height: float) -> Vec3:
    return (pos[0], pos[1], height)


HOUSEHOLD_SURFACES: dict[str, Vec3] = {
    "kitchen_table": _surface(KITCHEN_TABLE[0], KITCHEN_TABLE[2]),
    "coffee_table": _surface(COFFEE_TABLE[0], COFFEE_TABLE[2]),
    "shelf": _surface(SHELF_POS, SHELF_BOARDS[-1] + BOARD_HALF_THICKNESS),
    "bin": _surface(BIN[0], 2 * CONTAINER_WALL),
}
"""Where objects are put down at each place of the household: the middle of the kitchen
table's and the coffee table's tops, of the shelf's top board and of the bin's floor (x, y, z
of the surface). The symbolic household (``worldmodels.user_model``) and the helping env take
their places from here."""


SCENES: dict[str, Callable[[], Scene]] = {
    "reach": reach_scene,
    "navigate": navigate_scene,
    "household": household_scene,
}


def scene(name: str) -> Scene:
    """The library scene ``name``; an unknown name lists the valid ones."""
    if name not in SCENES:
        raise KeyError(f"unknown scene {name!r}; valid: {', '.join(SCENES)}")
    return SCENES[name]()
