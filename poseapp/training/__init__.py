"""Training and evaluation of the pose networks (COCO, MPII and more sources).

Modules, one job each: ``config`` (recipes as dataclasses), ``layouts`` (joint
sets), ``datasets`` (annotation readers + the top-down training set),
``augment`` and ``targets`` (crops and Gaussian targets through the app's
codec), ``losses`` (MSE, OHKM), ``schedule`` (Adam + each paper's schedule),
``distributed`` (torchrun), ``trainer``, ``evaluation`` (COCO AP, MPII PCKh
through the app's runtime) and ``command`` (``poseapp train`` / ``eval``).
Nothing heavy is imported here.
"""
